package dev.parapet.runtime;

import static dev.parapet.runtime.testing.GatewayFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.store.StoreFaults;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.TestConfigs;
import dev.parapet.runtime.upstream.FakeProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exit status SIGTERM ends with ({@link Main#stop}, what the shutdown hook halts with), on a
 * gateway booted the production way and called over a socket: 0 after a clean drain, 0 after a
 * drain the grace period cut short (the cut calls are still settled and written), 1 with one line
 * on stderr when the store closed with a settlement it could not write.
 */
class StopStatusTest {
  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String ANSWER = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-2024-08-06\","
      + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
      + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}";
  @TempDir Path tmp;
  private final CountDownLatch answer = new CountDownLatch(1);

  private FakeProvider provider() throws Exception {
    return new FakeProvider((r, c) -> {
      answer.await(30, TimeUnit.SECONDS);
      c.full(200, "application/json", ANSWER);
    });
  }

  @Test
  void aSettlementTheStoreCouldNotWriteExitsOneWithOneLine() throws Exception {
    LeakWatch.start();
    try (FakeProvider provider = provider();
        TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), provider.baseUrl("http", "127.0.0.1")).boot();
        RawHttp c = fx.gatewayRaw()) {
      c.send(post("/routes/remote", TestConfigs.TOKEN_A, CHAT));
      // A call reaches the provider only once its hold is written; from now on the disk is full.
      assertNotNull(provider.received.poll(20, TimeUnit.SECONDS));
      StoreFaults.failNextCommits(fx.store(), Integer.MAX_VALUE);
      answer.countDown();
      assertEquals(200, c.read().status());

      ByteArrayOutputStream err = new ByteArrayOutputStream();
      assertEquals(1, Main.stop(fx.gateway, new PrintStream(err, true, StandardCharsets.UTF_8)));
      String line = err.toString(StandardCharsets.UTF_8);
      assertTrue(line.matches("parapet: stopped with [1-9][0-9]* ledger item\\(s\\) or row\\(s\\) not written"
          + " to the telemetry store\\R"), line);
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aCleanDrainExitsZeroAndSaysNothing() throws Exception {
    answer.countDown();
    try (FakeProvider provider = provider();
        TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), provider.baseUrl("http", "127.0.0.1")).boot()) {
      assertEquals(200, fx.call(TestConfigs.TOKEN_A, "remote", "hi").statusCode());
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      assertEquals(0, Main.stop(fx.gateway, new PrintStream(err, true, StandardCharsets.UTF_8)));
      assertEquals("", err.toString(StandardCharsets.UTF_8));
    }
  }

  @Test
  void aDrainTheGracePeriodCutShortStillExitsZero() throws Exception {
    try (FakeProvider provider = provider();
        TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), provider.baseUrl("http", "127.0.0.1"))) {
      fx.env.put("PARAPET_SHUTDOWN_GRACE_MS", "200");
      fx.boot();
      try (RawHttp c = fx.gatewayRaw()) {
        c.send(post("/routes/remote", TestConfigs.TOKEN_A, CHAT));
        assertNotNull(provider.received.poll(20, TimeUnit.SECONDS)); // held by the provider
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, Main.stop(fx.gateway, new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
        assertTrue(c.closedByServer(), "the call still in flight was cut");
      } finally {
        answer.countDown();
      }
    }
  }
}
