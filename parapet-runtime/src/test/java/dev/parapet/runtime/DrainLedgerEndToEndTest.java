package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.store.RequestRecord;
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
import org.slf4j.LoggerFactory;

/**
 * A SIGTERM drain end to end, booted the production way with its store, over real sockets: a whole
 * call in flight finishes within the grace and is answered with {@code Connection: close}; a
 * stream that outlives the grace is cut (its caller sees the chunked body end unfinished, no
 * {@code [DONE]}) and is still settled on what it carried; a whole call the provider has not
 * answered by then is cut too, and charged its worst case, as a caller who left (the provider may
 * still bill all of it); the exit status is 0; each call is one row, the rows add up to the
 * settled spend, and no hold is left for the next boot to charge at its worst case.
 *
 * <p>A call the grace period cuts is recorded as the gateway's doing, 503 {@code shutdown} in its
 * row and access line, never as a caller who left (499): after a deploy, that would read as
 * clients abandoning their calls.
 */
class DrainLedgerEndToEndTest {
  private static final String STREAM = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String WHOLE = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String UNANSWERED = "{\"messages\":[{\"role\":\"user\",\"content\":\"hold\"}]}";
  private static final Logger ACCESS = (Logger) LoggerFactory.getLogger("parapet.access");
  @TempDir Path tmp;

  @Test
  void aDrainFinishesWholeCallsCutsALongStreamAndChargesEachCallOnce() throws Exception {
    LeakWatch.start();
    ListAppender<ILoggingEvent> access = new ListAppender<>();
    access.start();
    ACCESS.addAppender(access);
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      if (req.body().contains("hold")) {
        c.awaitPeerClose(); // answers nothing within the grace (the route's timeout is 5 s)
        c.close = true;
      } else if (req.body().contains("\"stream\":true")) {
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
      dev.parapet.runtime.metrics.Metrics metrics = metricsOf(g);
      String streamId;
      try (Socket stream = SealedGateway.postRaw(g.port(), "/routes/remote", STREAM);
          RawHttp whole = new RawHttp(g.port());
          Socket unanswered = SealedGateway.postRaw(g.port(), "/routes/remote", UNANSWERED)) {
        stream.setSoTimeout(20_000);
        unanswered.setSoTimeout(20_000);
        InputStream in = stream.getInputStream();
        String head = readUntil(in, "first");
        assertTrue(head.startsWith("HTTP/1.1 200"), head);
        streamId = head.replaceAll("(?s).*x-parapet-request-id: ([0-9a-f]{32}).*", "$1");
        assertTrue(streamId.matches("[0-9a-f]{32}"), head);
        whole.send(dev.parapet.runtime.testing.GatewayFixture.post("/routes/remote", TestConfigs.TOKEN_A, WHOLE));
        for (int i = 0; i < 3; i++) {
          assertNotNull(provider.received.poll(10, TimeUnit.SECONDS));
        }

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
        assertEquals(-1, unanswered.getInputStream().read(), "the unanswered call's connection closed, nothing sent");
      } finally {
        g.close();
        ACCESS.detachAppender(access);
      }
      PrometheusText m = PrometheusText.parse(metrics.scrape()); // what the last scrape before the exit would say
      assertEquals(2.0, m.value("parapet_refusals_total", "code", "shutdown"), "the cut calls' own code");
      assertEquals(2.0, m.value("parapet_requests_total", "route", "remote", "status", "503"));
      assertFalse(m.hasSeries("parapet_requests_total", "route", "remote", "status", "499"), "no caller left");
      assertEquals(1.0, m.value("parapet_upstream_latency_seconds_count"), "only the whole call's latency: a cut one's is the grace");
      List<String> lines = List.copyOf(access.list).stream().map(ILoggingEvent::getFormattedMessage).toList();
      assertEquals(3, lines.size(), lines.toString());
      assertEquals(1, lines.stream().filter(l -> l.startsWith("POST /routes/{route} 200 code=- route=remote")).count(),
          lines.toString());
      List<String> cut = lines.stream().filter(l -> l.startsWith("POST /routes/{route} 503 code=shutdown route=remote")).toList();
      assertEquals(2, cut.size(), "both cut calls are the shutdown's, not callers who left: " + lines);
      assertEquals(1, cut.stream().filter(l -> l.endsWith("request_id=" + streamId)).count(), lines.toString());
      String unansweredId = cut.stream().filter(l -> !l.endsWith(streamId)).findFirst().orElseThrow()
          .replaceAll(".* request_id=", "");

      UsageRow rows = sg.usageToday("remote");
      assertEquals(3, rows.requests(), "one row per call");
      long spend = SealedGateway.route(sg.spendToday(), "remote");
      assertEquals(spend, rows.costNanoUsd(), "rows' cost against settled spend: nothing charged twice or lost");
      RequestRecord[] row = new RequestRecord[2];
      sg.withStore(store -> {
        row[0] = store.request(streamId).orElseThrow();
        row[1] = store.request(unansweredId).orElseThrow();
      });
      RequestRecord streamRow = row[0];
      assertEquals(503, streamRow.status(), "the cut stream's row: " + streamRow);
      assertEquals(Optional.of("shutdown"), streamRow.errorCode());
      assertEquals(List.of("usage:counted"), streamRow.notes(), "charged as counted, not at a worst case");
      assertTrue(streamRow.tokensOut() >= 1 && streamRow.costNanoUsd() > 0 && streamRow.costNanoUsd() < 100_000,
          streamRow.toString());
      RequestRecord unansweredRow = row[1];
      assertEquals(503, unansweredRow.status(), "the cut whole call's row: " + unansweredRow);
      assertEquals(Optional.of("shutdown"), unansweredRow.errorCode());
      assertEquals(List.of("usage:worst_case"), unansweredRow.notes(),
          "nothing of the answer seen: its worst case, as for a caller who left");
    }
    LeakWatch.assertNoLeaks();
  }

  /** The booted gateway's meters (its telemetry stage's), read again once it has stopped. */
  private static dev.parapet.runtime.metrics.Metrics metricsOf(Gateway g) throws ReflectiveOperationException {
    java.lang.reflect.Field stages = Gateway.class.getDeclaredField("stages");
    stages.setAccessible(true);
    Object stage = ((Stages) stages.get(g)).resources().stream()
        .filter(dev.parapet.runtime.telemetry.TelemetryStage.class::isInstance).findFirst().orElseThrow();
    java.lang.reflect.Field metrics = stage.getClass().getDeclaredField("metrics");
    metrics.setAccessible(true);
    return (dev.parapet.runtime.metrics.Metrics) metrics.get(stage);
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
