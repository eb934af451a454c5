package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.store.UsageRow;
import dev.parapet.runtime.boot.Boot;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.TestConfigs;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.upstream.FakeProvider;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SIGTERM drain end to end, booted the production way with its store, over real sockets: a whole
 * call in flight finishes within the grace and is answered with {@code Connection: close}; a
 * stream that outlives the grace is cut (its caller sees the chunked body end unfinished, no
 * {@code [DONE]}) and is still settled on what it carried; the exit status is 0; each call is one
 * row, the rows add up to the settled spend, and no hold is left for the next boot to charge at
 * its worst case.
 */
class DrainLedgerEndToEndTest {
  private static final String STREAM = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String WHOLE = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  @TempDir Path tmp;

  @Test
  void aDrainFinishesWholeCallsCutsALongStreamAndChargesEachCallOnce() throws Exception {
    LeakWatch.start();
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      if (req.body().contains("\"stream\":true")) {
        c.sseHead();
        c.chunk(AnswerPolicyEndToEndTest.chunk(SealedGateway.MODEL, "fp_1", " first"));
        c.awaitPeerClose(); // never ends by itself: the grace period has to cut it
        c.close = true;
      } else {
        Thread.sleep(400); // finishes within the grace
        c.full(200, "application/json", SealedGateway.completion(SealedGateway.MODEL, "ok", 5, 1));
      }
    })) {
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("remote", provider.baseUrl("http", "127.0.0.1"),
              SealedGateway.policy(6000, 100, "5", true, RedactionPolicy.OFF), List.of())));
      Map<String, String> env = sg.env();
      env.put("PARAPET_SHUTDOWN_GRACE_MS", "1000");
      Gateway g = Boot.start(env, Wiring.production(env));
      try (Socket stream = SealedGateway.postRaw(g.port(), "/routes/remote", STREAM);
          RawHttp whole = new RawHttp(g.port())) {
        stream.setSoTimeout(20_000);
        InputStream in = stream.getInputStream();
        String head = readUntil(in, "first");
        assertTrue(head.startsWith("HTTP/1.1 200"), head);
        whole.send(dev.parapet.runtime.testing.GatewayFixture.post("/routes/remote", TestConfigs.TOKEN_A, WHOLE));
        assertNotNull(provider.received.poll(10, TimeUnit.SECONDS));
        assertNotNull(provider.received.poll(10, TimeUnit.SECONDS));

        long t0 = System.nanoTime();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, Main.stop(g, new PrintStream(err, true, StandardCharsets.UTF_8)), "exit status");
        assertEquals("", err.toString(StandardCharsets.UTF_8));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(900), "the grace was given");

        RawHttp.Response r = whole.read();
        assertEquals(200, r.status(), "the whole call finished within the grace");
        assertEquals("close", r.header("connection"));
        assertTrue(r.body().contains("\"ok\""), r.body());
        String rest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        assertFalse(rest.contains("[DONE]") || rest.endsWith("0\r\n\r\n"), "the stream was cut unfinished: " + rest);
      } finally {
        g.close();
      }
      UsageRow rows = sg.usageToday("remote");
      assertEquals(2, rows.requests(), "one row per call");
      long spend = SealedGateway.route(sg.spendToday(), "remote");
      assertTrue(spend > 0 && spend < 100_000, "charged as counted, not at a worst case: " + spend);
      assertEquals(spend, rows.costNanoUsd(), "rows' cost against settled spend: nothing charged twice or lost");
    }
    LeakWatch.assertNoLeaks();
  }

  private static String readUntil(InputStream in, String marker) throws java.io.IOException {
    StringBuilder sb = new StringBuilder();
    int b;
    while (!sb.toString().contains(marker) && (b = in.read()) != -1) {
      sb.append((char) b);
    }
    return sb.toString();
  }
}
