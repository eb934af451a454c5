package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.provider.Translated;
import io.netty.buffer.Unpooled;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A whole answer the adapter passed through is sent as the provider's own bytes unless an
 * observer rewrote it; a rewrite, or a body whose bytes could mean something else than its tree,
 * is serialized again. Over real sockets, with the leak detector at paranoid.
 */
class WholeAnswerBytesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Not what Jackson would write: spaces, new lines, an escape, a non-ASCII character, key order. */
  static final String PRETTY = "{\n  \"object\": \"chat.completion\", \"id\": \"chatcmpl-1\",\n"
      + "  \"model\": \"gpt-4o-2024-08-06\",\n"
      + "  \"choices\": [ { \"index\": 0, \"message\": { \"role\": \"assistant\", \"content\": \"h\\u00e9llo \u00e9t\u00e9 \\\"q\\\"\" },"
      + " \"finish_reason\": \"stop\" } ],\n"
      + "  \"usage\": { \"prompt_tokens\": 7, \"completion_tokens\": 1, \"total_tokens\": 8 }, \"n\": 1.50\n}\n";

  private TestGateway gateway;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @AfterEach
  void stop() throws InterruptedException {
    if (gateway != null) {
      gateway.close();
    }
    LeakWatch.assertNoLeaks();
  }

  private HttpResponse<byte[]> post() throws Exception {
    return http.send(HttpRequest.newBuilder(gateway.uri("r")).timeout(Duration.ofSeconds(20))
        .POST(HttpRequest.BodyPublishers.ofString(UpstreamProxyHandlerTest.ASK)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> answer(ExchangeObserver observer, byte[] providerBody) throws Exception {
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(), r -> observer);
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.out.write(("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + providerBody.length
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      c.out.write(providerBody);
      c.out.flush();
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      HttpResponse<byte[]> res = post();
      assertEquals(200, res.statusCode(), new String(res.body(), StandardCharsets.UTF_8));
      assertEquals("application/json", res.headers().firstValue("content-type").orElseThrow());
      assertEquals(Optional.of(TestGateway.MODEL), gateway.nextCompleted().reportedModel());
      return res;
    }
  }

  private static String utf8(HttpResponse<byte[]> res) {
    return new String(res.body(), StandardCharsets.UTF_8);
  }

  @Test
  void anUnchangedAnswerArrivesByteForByteAsTheProviderSentIt() throws Exception {
    byte[] sent = PRETTY.getBytes(StandardCharsets.UTF_8);
    HttpResponse<byte[]> res = answer(ExchangeObserver.NONE, sent);
    assertArrayEquals(sent, res.body());
    assertEquals(Integer.toString(sent.length), res.headers().firstValue("content-length").orElseThrow());
  }

  @Test
  void anObserverThatOnlyReadsKeepsTheBytes() throws Exception {
    ExchangeObserver reader = new ExchangeObserver() {
      @Override
      public Optional<Veto> onAnswer(GatewayRequest request, Translated answer) {
        answer.body().path("choices").path(0).path("message").path("content").asText();
        return Optional.empty();
      }
    };
    byte[] sent = PRETTY.getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(sent, answer(reader, sent).body());
  }

  @Test
  void aSignalledRewriteIsSerializedAgain() throws Exception {
    ExchangeObserver scrub = new ExchangeObserver() {
      @Override
      public Optional<Veto> onAnswer(GatewayRequest request, Translated answer) {
        ObjectNode message = (ObjectNode) answer.body().path("choices").path(0).path("message");
        answer.set(message, "content", TextNode.valueOf("[REDACTED:EMAIL]"));
        return Optional.empty();
      }
    };
    HttpResponse<byte[]> res = answer(scrub, PRETTY.getBytes(StandardCharsets.UTF_8));
    String body = utf8(res);
    assertFalse(body.contains("llo"), body);
    assertEquals("[REDACTED:EMAIL]", JSON.readTree(body).path("choices").path(0).path("message").path("content").asText());
    assertEquals(JSON.writeValueAsString(JSON.readTree(body)), body, "compact, as Jackson writes it");
  }

  /**
   * Assertions are on under test: the verbatim path then re-parses the bytes, so an observer that
   * forgets {@link Translated#set} still sends its rewrite (and an error is logged).
   */
  @Test
  void anUnsignalledRewriteIsCaughtUnderTestAndItsRewriteIsSent() throws Exception {
    assertTrue(ProxiedCall.VERIFY_VERBATIM, "tests must run with assertions on (-ea)");
    ExchangeObserver sloppy = new ExchangeObserver() {
      @Override
      public Optional<Veto> onAnswer(GatewayRequest request, Translated answer) {
        ((ObjectNode) answer.body().path("choices").path(0).path("message")).put("content", "scrubbed");
        return Optional.empty();
      }
    };
    String body = utf8(answer(sloppy, PRETTY.getBytes(StandardCharsets.UTF_8)));
    assertEquals("scrubbed", JSON.readTree(body).path("choices").path(0).path("message").path("content").asText());
  }

  @Test
  void aDuplicateKeyIsNotForwardedAsReceived() throws Exception {
    String dup = UpstreamProxyHandlerTest.OPENAI_ANSWER.replace("\"object\":", "\"model\":\"gpt-evil\",\"object\":");
    String body = utf8(answer(ExchangeObserver.NONE, dup.getBytes(StandardCharsets.UTF_8)));
    assertFalse(body.contains("gpt-evil"), body);
    assertEquals(TestGateway.MODEL, JSON.readTree(body).path("model").asText());
  }

  @Test
  void bytesAfterTheObjectAreNotForwarded() throws Exception {
    String trailing = UpstreamProxyHandlerTest.OPENAI_ANSWER + " {\"model\":\"gpt-evil\"}";
    String body = utf8(answer(ExchangeObserver.NONE, trailing.getBytes(StandardCharsets.UTF_8)));
    assertEquals(UpstreamProxyHandlerTest.OPENAI_ANSWER, body);
  }

  @Test
  void aUtf16AnswerIsAnsweredInUtf8() throws Exception {
    String body = utf8(answer(ExchangeObserver.NONE, PRETTY.getBytes(StandardCharsets.UTF_16LE)));
    assertEquals(JSON.writeValueAsString(JSON.readTree(PRETTY)), body);
  }

  @Test
  void utf8DetectionFollowsJackson() {
    assertTrue(BufferedAnswer.utf8(Unpooled.copiedBuffer("{}", StandardCharsets.UTF_8)));
    assertTrue(BufferedAnswer.utf8(Unpooled.copiedBuffer(" \n{}", StandardCharsets.UTF_8)));
    assertFalse(BufferedAnswer.utf8(Unpooled.copiedBuffer("{}", StandardCharsets.UTF_16LE)));
    assertFalse(BufferedAnswer.utf8(Unpooled.copiedBuffer("{}", StandardCharsets.UTF_16BE)));
    assertFalse(BufferedAnswer.utf8(Unpooled.copiedBuffer("{}", StandardCharsets.UTF_16)));
    assertFalse(BufferedAnswer.utf8(Unpooled.copiedBuffer("{}", java.nio.charset.Charset.forName("UTF-32LE"))));
    assertFalse(BufferedAnswer.utf8(Unpooled.wrappedBuffer(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'})));
    assertFalse(BufferedAnswer.utf8(Unpooled.copiedBuffer("{", StandardCharsets.UTF_8)));
  }
}
