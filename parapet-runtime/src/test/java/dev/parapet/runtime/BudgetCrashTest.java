package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.chat;
import static dev.parapet.runtime.SealedGateway.completion;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.testing.ChildMain;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spend survives a kill -9: the gateway runs as the operator runs it (a child JVM on {@code
 * dev.parapet.runtime.Main}), is killed with SIGKILL while calls are in flight, and the next boot
 * on the same data dir and master key settles every hold that was open at its worst case.
 */
class BudgetCrashTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int PROMPT = TokenCounter.forModel(ProviderType.OPENAI, SealedGateway.MODEL).countMessages(List.of("hi"));
  private static final int MAX_OUT = 50;
  private static final long WORST = (PROMPT + MAX_OUT) * 1000L;

  @TempDir Path tmp;

  private Process launch(SealedGateway sg, int port) throws IOException {
    Map<String, String> env = sg.env();
    env.put("PARAPET_PORT", Integer.toString(port));
    return ChildMain.launch(env, tmp.resolve("out.txt"), tmp.resolve("err.txt"));
  }

  private static void awaitUp(Process child, int port) throws Exception {
    // up to a minute on a loaded machine
    assertNotNull(ChildMain.awaitHealth(child, port, 600), "the child gateway never came up");
  }

  private SealedGateway gateway(URI base, String capUsd) {
    return new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(SealedGateway.openAi("remote", base,
        SealedGateway.policy(6000, MAX_OUT, capUsd, true, RedactionPolicy.OFF), List.of())));
  }

  @Test
  void killMinusNineWithOpenHoldsSettlesThemAtTheirWorstCaseOnTheNextBoot() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger received = new AtomicInteger();
    try (MockWebServer provider = new MockWebServer()) {
      provider.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
          received.incrementAndGet();
          release.await(30, TimeUnit.SECONDS); // hangs until the test is over
          return new MockResponse.Builder().code(500).build();
        }
      });
      provider.start();
      long cap = 3 * WORST + WORST / 2;
      SealedGateway sg = gateway(provider.url("/v1").uri(), new BigDecimal(cap).movePointLeft(9).toPlainString());
      int port = ChildMain.freePort();
      Process child = launch(sg, port);
      try {
        awaitUp(child, port);
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          inFlight.add(SealedGateway.HTTP.sendAsync(SealedGateway.request(port, "/routes/remote", chat("hi", MAX_OUT)),
              HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < 300 && received.get() < 3; i++) {
          Thread.sleep(100); // a call reaches the provider only once its hold is durable
        }
        assertEquals(3, received.get());
        child.destroyForcibly(); // SIGKILL: no drain, no settlement
        assertTrue(child.waitFor(20, TimeUnit.SECONDS));
        inFlight.forEach(f -> f.handle((r, e) -> null).join());
      } finally {
        child.destroyForcibly();
      }
      try (Gateway g = sg.start()) {
        HttpResponse<String> refused = SealedGateway.post(g.port(), "/routes/remote", chat("hi", MAX_OUT));
        assertEquals(402, refused.statusCode(), refused.body());
      } finally {
        release.countDown();
      }
      assertEquals(3 * WORST, SealedGateway.route(sg.spendToday(), "remote"));
    }
  }

  @Test
  void killMinusNineUnderLoadLosesNoSettledSpend() throws Exception {
    AtomicInteger served = new AtomicInteger();
    try (MockWebServer provider = new MockWebServer()) {
      provider.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          int completion = 1 + served.incrementAndGet() % MAX_OUT;
          return new MockResponse.Builder().addHeader("Content-Type", "application/json")
              .body(completion(SealedGateway.MODEL, "ok", PROMPT, completion)).build();
        }
      });
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri(), "1000");
      int port = ChildMain.freePort();
      int callers = 12;
      AtomicLong told = new AtomicLong();
      AtomicInteger answered = new AtomicInteger();
      Process child = launch(sg, port);
      try {
        awaitUp(child, port);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
          Thread t = new Thread(() -> {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            while (true) {
              try {
                HttpResponse<String> r = client.send(SealedGateway.request(port, "/routes/remote", chat("hi", MAX_OUT)),
                    HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                  return;
                }
                JsonNode usage = JSON.readTree(r.body()).get("usage");
                told.addAndGet((usage.get("prompt_tokens").asLong() + usage.get("completion_tokens").asLong()) * 1000);
                answered.incrementAndGet();
              } catch (IOException | InterruptedException gone) {
                return;
              }
            }
          });
          t.start();
          threads.add(t);
        }
        for (int i = 0; i < 1200 && answered.get() < 200; i++) {
          Thread.sleep(50);
        }
        assertTrue(answered.get() >= 200, "only " + answered.get() + " answers before the kill");
        child.destroyForcibly();
        assertTrue(child.waitFor(20, TimeUnit.SECONDS));
        for (Thread t : threads) {
          t.join(30_000);
        }
      } finally {
        child.destroyForcibly();
      }
      // What boot does: settle every hold left open at its worst case, then read the day.
      long spend = SealedGateway.route(sg.withStore(store -> store.recoverOpenHolds()), "remote");
      assertTrue(spend >= told.get(), "settled " + spend + " < told " + told.get());
      assertTrue(spend <= told.get() + callers * WORST, "settled " + spend + " > told " + told.get() + " + in flight");
    }
  }
}
