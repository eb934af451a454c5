package dev.parapet.runtime;

import static dev.parapet.runtime.testing.GatewayFixture.post;
import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Many callers at once, keep-alive and pipelined, answers mixed: each gets its own, in order. */
class ConcurrencyTest {
  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  @Test
  void manyPipelinedCallersEachGetTheirAnswersInOrder() throws Exception {
    int callers = 24;
    int rounds = 20;
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try (GatewayFixture fx = new GatewayFixture(s -> s.withMaxBodyBytes(1 << 16))) {
      List<Future<Integer>> done = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        done.add(pool.submit(() -> {
          int ok = 0;
          try (RawHttp conn = fx.raw()) {
            for (int r = 0; r < rounds; r++) {
              // three at once: allowed, unknown token, forbidden route
              conn.send(post("/routes/summarizer", TOKEN_A, CHAT) + post("/routes/summarizer", "nope", CHAT)
                  + post("/routes/writer", TOKEN_A, CHAT));
              assertEquals(200, conn.read().status());
              assertEquals(401, conn.read().status());
              assertEquals(403, conn.read().status());
              ok++;
            }
          }
          return ok;
        }));
      }
      for (Future<Integer> f : done) {
        assertEquals(rounds, f.get());
      }
      assertEquals(callers * rounds, fx.terminal.received.size());
      // The last completion may still be running on its event loop as the caller reads the answer.
      for (int i = 0; i < 100 && fx.gateway.inFlightRequests() != 0; i++) {
        Thread.sleep(10);
      }
      assertEquals(0, fx.gateway.inFlightRequests());
    } finally {
      pool.shutdownNow();
    }
    LeakWatch.assertNoLeaks();
  }
}
