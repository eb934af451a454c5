package dev.parapet.runtime;

import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A body over the limit, sent the way every Node SDK sends it (the OpenAI SDK, the Vercel AI SDK,
 * LangChain's ChatOpenAI, all over Node's fetch): its whole length announced, no {@code Expect:
 * 100-continue}, all of it written before the answer is read. Parapet refused it from the head and
 * closed at once, with megabytes unread; the kernel answered the rest with a reset, and the SDK
 * saw {@code write ECONNRESET} instead of 413, took it for a network failure and sent the body
 * again (Vercel AI SDK: 3 attempts in 7 s; LangChain: 7 in 95 s), never learning why.
 */
class OversizedBodyAnswerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int LIMIT = 64 * 1024;
  private static GatewayFixture fx;

  @BeforeAll
  static void start() throws Exception {
    fx = new GatewayFixture(s -> s.withMaxBodyBytes(LIMIT));
  }

  @AfterAll
  static void stop() throws Exception {
    fx.close();
    LeakWatch.assertNoLeaks();
  }

  /** The head @ai-sdk/openai's and the openai SDK's fetch send (captured), with {@code length}. */
  private static String sdkHead(long length) {
    return "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: keep-alive\r\n"
        + "Authorization: Bearer " + TOKEN_A + "\r\ncontent-type: application/json\r\n"
        + "accept: application/json\r\nuser-agent: ai-sdk/openai/3.0.141 ai-sdk/provider-utils/4.0.0\r\n"
        + "accept-language: *\r\nsec-fetch-mode: cors\r\naccept-encoding: gzip, deflate\r\n"
        + "content-length: " + length + "\r\n\r\n";
  }

  /** {@code {"model":"summarizer","messages":[{"role":"user","content":"xxx…"}]}}, {@code size} bytes. */
  private static byte[] chat(int size) {
    String open = "{\"model\":\"summarizer\",\"messages\":[{\"role\":\"user\",\"content\":\"";
    String close = "\"}]}";
    byte[] body = new byte[size];
    Arrays.fill(body, (byte) 'x');
    System.arraycopy(open.getBytes(StandardCharsets.US_ASCII), 0, body, 0, open.length());
    System.arraycopy(close.getBytes(StandardCharsets.US_ASCII), 0, body, size - close.length(), close.length());
    return body;
  }

  private static void writeAll(RawHttp c, byte[] body) throws IOException {
    for (int at = 0; at < body.length; at += 256 * 1024) {
      c.send(Arrays.copyOfRange(body, at, Math.min(body.length, at + 256 * 1024)));
    }
  }

  @Test
  void aCallerThatWritesItsWholeBodyFirstReadsThe413() throws Exception {
    byte[] body = chat(8 << 20); // far past what the two sockets' buffers hold
    try (RawHttp c = fx.raw()) {
      c.send(sdkHead(body.length));
      writeAll(c, body); // the old close reset the connection here: "Connection reset" / "Broken pipe"
      RawHttp.Response r = c.read();
      assertEquals(413, r.status(), r.body());
      JsonNode error = JSON.readTree(r.body()).path("error");
      assertEquals("request_too_large", error.path("code").asText());
      assertEquals("request body larger than " + LIMIT + " bytes", error.path("message").asText());
      assertEquals("close", r.header("connection"));
      assertTrue(c.closedByServer(), "the answer still ends the connection");
    }
    assertTrue(fx.terminal.received.isEmpty(), "nothing of it went on");
  }

  @Test
  void whatALingeringConnectionReadsIsBounded() throws Exception {
    try (RawHttp c = fx.raw()) {
      c.send(sdkHead(1L << 40));
      assertThrows(IOException.class, () -> {
        byte[] piece = new byte[1 << 20];
        for (int i = 0; i < 1024; i++) { // 1 GiB at most; the gateway drops 64 MiB, then closes
          c.send(piece);
        }
      });
    }
    assertTrue(fx.terminal.received.isEmpty());
  }

  @Test
  void theConnectionCloseOfAnOrdinaryRefusalDoesNotLinger() throws Exception {
    // A whole request refused with Connection: close: the caller reads it and gets end of stream.
    try (RawHttp c = fx.raw()) {
      byte[] small = "{}".getBytes(StandardCharsets.US_ASCII);
      c.send(sdkHead(small.length).replace("connection: keep-alive", "connection: close")
          .replace(TOKEN_A, "not-a-token"));
      c.send(small);
      assertEquals(401, c.read().status());
      assertTrue(c.closedByServer());
    }
  }
}
