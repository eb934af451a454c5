package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderType;
import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.upstream.FakeProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The body budget over the production stack and a real provider: a request's reservation goes back
 * when the provider answers and its prompt is dropped, not when its stream ends. With room for one
 * body, a second large request is answered while the first one's stream is still open; with the
 * reservation held to the stream's end, it would wait for it.
 */
class BodyBudgetReleaseTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int LIMIT = 20_000;
  private static final String PROSE = "word ".repeat(3_000); // 15,000 bytes, ~3,000 tokens
  private static final String ANSWER = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,"
      + "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
      + "\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3000,"
      + "\"completion_tokens\":1,\"total_tokens\":3001}}";
  private static final String CHUNK = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
      + "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"first\"}}]}\n\n";

  @TempDir Path tmp;
  private final CountDownLatch endStream = new CountDownLatch(1);

  private void answer(FakeProvider.Recorded r, FakeProvider.Conn c) throws Exception {
    if (JSON.readTree(r.body()).path("stream").asBoolean()) {
      c.sseHead();
      c.chunk(CHUNK);
      assertTrue(endStream.await(30, TimeUnit.SECONDS));
      c.chunk("data: [DONE]\n\n");
      c.endChunks();
    } else {
      c.full(200, "application/json", ANSWER);
    }
  }

  private static String ask(String token, boolean stream) {
    return GatewayFixture.post("/routes/oai", token, "{\"stream\":" + stream
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROSE + "\"}]}");
  }

  @Test
  void theReservationGoesBackWhenTheProviderAnswersNotWhenTheStreamEnds() throws Exception {
    LeakWatch.start();
    try (FakeProvider provider = new FakeProvider(this::answer);
        ProductionStack stack = ProductionStack.builder(tmp.resolve("data"))
            .route("oai", ProviderType.OPENAI, provider.baseUrl("http", "127.0.0.1"), "sk-budget-0000000000000000", 60_000)
            .env("PARAPET_MAX_BODY_BYTES", String.valueOf(LIMIT))
            .env("PARAPET_MAX_BUFFERED_BODY_BYTES", String.valueOf(LIMIT))
            .start();
        Socket streaming = new Socket("127.0.0.1", stack.port)) {
      streaming.setSoTimeout(20_000);
      streaming.getOutputStream().write(ask(stack.token, true).getBytes(StandardCharsets.UTF_8));
      String opened = readUntil(streaming.getInputStream(), "first");
      assertTrue(opened.startsWith("HTTP/1.1 200"), opened);
      await(stack.gateway::bufferedBodyBytes, 0); // the stream is open, its prompt is gone

      try (Socket socket = new Socket("127.0.0.1", stack.port); RawHttp other = new RawHttp(socket)) {
        socket.setSoTimeout(5_000); // the stream runs until endStream: far longer
        other.send(ask(stack.token, false));
        RawHttp.Response r = other.read(); // times out if the stream still held its bytes
        assertEquals(200, r.status(), r.body());
      }
      assertEquals(0, stack.gateway.requestsWaitingForBodyRoom());

      endStream.countDown();
      assertTrue(readUntil(streaming.getInputStream(), "[DONE]").contains("[DONE]"));
      await(stack.gateway::bufferedBodyBytes, 0);
      assertEquals(List.of(), provider.scriptErrors);
    } finally {
      endStream.countDown();
    }
    LeakWatch.assertNoLeaks();
  }

  private static String readUntil(InputStream in, String marker) throws IOException {
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    while (!seen.toString(StandardCharsets.UTF_8).contains(marker)) {
      int n = in.read(buf);
      if (n < 0) {
        break;
      }
      seen.write(buf, 0, n);
    }
    return seen.toString(StandardCharsets.UTF_8);
  }

  private static void await(LongSupplier value, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (value.getAsLong() != expected && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(expected, value.getAsLong());
  }
}
