package dev.parapet.runtime;

import static dev.parapet.runtime.ScannedAnswers.DONE;
import static dev.parapet.runtime.ScannedAnswers.MODEL;
import static dev.parapet.runtime.ScannedAnswers.chunk;
import static dev.parapet.runtime.ScannedAnswers.finish;
import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.store.EventRow;
import dev.parapet.core.store.RequestRecord;
import dev.parapet.runtime.boot.Boot;
import dev.parapet.runtime.testing.HeldWork;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.upstream.FakeProvider;
import dev.parapet.runtime.upstream.OffLoopHooks;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Under {@code scan_output} a CREDIT_CARD or IPV4 match at the very end of a choice's text is held
 * back (more digits could make it an order number) and decided when the choice's {@code
 * finish_reason} arrives. A review found that a stream may end without one ({@code [DONE]} right
 * after the last delta, a usage-only chunk then {@code [DONE]}, the provider closing): the held
 * match was never decided, so it went unreported (no event, no cut) while its bytes had reached
 * the caller. The end of a stream now decides it for every choice still open, as a {@code
 * finish_reason} does: the stream is cut ({@code stream_truncated}) before its {@code [DONE]},
 * and the event recorded; a stream the provider broke off records the event and ends as the
 * broken stream it is ({@code upstream_error}). So does a stream its caller leaves: a caller who
 * hung up right after a card number's last digits had them, and the call went unnoted (a 499 row
 * without the match); it is decided as the caller leaves, nothing written to it.
 */
class StreamEndScanEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BS = "\\";
  private static final String CARD = "4111 1111 1111 1111";
  private static final Pattern REQUEST_ID = Pattern.compile("(?i)x-parapet-request-id: ([^\\r\\n]+)\\r\\n");
  @TempDir Path tmp;

  @AfterEach
  void transportBack() {
    Transport.nioForTest = false;
  }

  private static String usageOnly() {
    return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + MODEL
        + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":7,\"total_tokens\":16}}\n\n";
  }

  private static String start(int index) {
    return chunk(index, "{\"role\":\"assistant\",\"content\":\"\"}");
  }

  private static String text(int index, String text) throws Exception {
    return chunk(index, "{\"content\":" + JSON.writeValueAsString(text) + "}");
  }

  private static String arguments(String arguments) throws Exception {
    return chunk(0, "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":" + JSON.writeValueAsString(arguments)
        + "}}]}");
  }

  /** A case: the provider's stream, what the call adds to its body, and the pattern the end decides (null: none). */
  private record Case(String what, String stream, String extra, String pattern) {}

  @Test
  void aMatchHeldAtTheEndOfAStreamIsDecidedAtItsEnd() throws Exception {
    String toolStart = chunk(0, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
        + "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"ping\",\"arguments\":\"\"}}]}");
    List<Case> cases = List.of(
        new Case("a card, then [DONE]", start(0) + text(0, "Charge ") + text(0, CARD) + DONE, "", "CREDIT_CARD"),
        new Case("an address, a usage-only chunk, [DONE]", start(0) + text(0, "ping 10.1.2.3") + usageOnly() + DONE,
            ",\"stream_options\":{\"include_usage\":true}", "IPV4"),
        // only decoded is it an address: 10.0.0.\u0031 as written is none
        new Case("tool arguments, decoded", toolStart + arguments("{\"host\":\"10.0.0.") + arguments(BS + "u0031") + DONE,
            "", "IPV4"),
        new Case("a JSON answer's content, decoded", start(0) + text(0, "{\"ip\":\"10.0.0.") + text(0, BS + "u0031") + DONE,
            ",\"response_format\":{\"type\":\"json_object\"}", "IPV4"),
        new Case("choice 0 open, choice 1 finished", start(0) + start(1) + text(1, "fine") + text(0, "card " + CARD)
            + finish(1) + DONE, ",\"n\":2", "CREDIT_CARD"),
        new Case("with its finish_reason, as before", start(0) + text(0, "card " + CARD) + finish(0) + DONE, "",
            "CREDIT_CARD"),
        new Case("a number that is no card", start(0) + text(0, "order 1234 5678") + DONE, "", null));
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      for (Case c : cases) {
        provider.enqueue(sse(c.stream()));
      }
      provider.enqueue(sse(start(0) + text(0, "Charge " + CARD))); // then the provider closes: no [DONE]
      SealedGateway sg = gateway(provider);
      Map<String, Case> ids = new LinkedHashMap<>();
      String broken;
      try (Gateway g = sg.start()) {
        for (Case c : cases) {
          HttpResponse<String> r = post(g.port(), "/routes/scanned", streamed(c.extra()));
          assertEquals(200, r.statusCode(), c.what() + ": " + r.body());
          String body = r.body();
          assertTrue(body.endsWith(DONE), c.what() + ": " + body);
          if (c.pattern() == null) {
            assertFalse(body.contains("parapet_error"), c.what() + ": " + body);
          } else {
            // cut before [DONE]: one error event, then the only [DONE]
            assertTrue(body.endsWith("\"code\":\"stream_truncated\",\"message\":\"the answer matched output pattern "
                + c.pattern() + "\",\"request_id\":\"" + requestId(r) + "\"}}\n\n" + DONE), c.what() + ": " + body);
            assertEquals(body.indexOf(DONE), body.lastIndexOf(DONE), c.what() + ": " + body);
          }
          ids.put(requestId(r), c);
        }
        HttpResponse<String> r = post(g.port(), "/routes/scanned", streamed(""));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"code\":\"upstream_error\""), r.body());
        assertTrue(r.body().endsWith(DONE), r.body());
        broken = requestId(r);
      }
      Map<String, List<String>> truncated = new LinkedHashMap<>();
      for (EventRow e : events(sg, EventKind.STREAM_TRUNCATED)) {
        assertEquals("scan_output", e.details().get("reason"), e.toString());
        truncated.computeIfAbsent(e.requestId(), k -> new ArrayList<>()).add(e.details().get("pattern"));
      }
      for (Map.Entry<String, Case> id : ids.entrySet()) {
        Case c = id.getValue();
        assertEquals(c.pattern() == null ? null : List.of(c.pattern()), truncated.get(id.getKey()), c.what());
      }
      assertEquals(List.of("CREDIT_CARD"), truncated.get(broken), "a stream the provider broke off: " + truncated);
      // ...which still ends as the broken stream it is, for the operator too
      assertTrue(events(sg, EventKind.UPSTREAM_ERROR).stream().anyMatch(e -> e.requestId().equals(broken)));
    } finally {
      LeakWatch.assertNoLeaks();
    }
  }

  /** A case of a caller who leaves: the deltas it reads, and the pattern held at their end (null: none). */
  private record Left(String what, List<String> deltas, String pattern) {}

  /**
   * The caller reads the stream up to a delta, then hangs up while the provider is still
   * generating: what it received is decided as it leaves. A card number or an address at the
   * very end is recorded (the event, and the note on the 499 row); nothing held, or held text the
   * next delta made no match, records nothing. The shutdown grace period closing a stream (503
   * {@code shutdown}) decides it the same way.
   */
  @ParameterizedTest(name = "nio={0}")
  @ValueSource(booleans = {true, false})
  void aCallerWhoLeavesAfterAHeldMatchHasItDecided(boolean nio) throws Exception {
    Transport.nioForTest = nio;
    LeakWatch.start();
    List<Left> cases = List.of(
        new Left("a card", List.of("Charge ", CARD), "CREDIT_CARD"),
        new Left("an address", List.of("ping 10.1.2.3"), "IPV4"),
        new Left("nothing held", List.of("hello ", "there"), null),
        new Left("a card the next digits made an order number", List.of("order " + CARD, "2345"), null),
        new Left("a number that is no card", List.of("order 1234 5678"), null));
    BlockingQueue<List<String>> streams = new LinkedBlockingQueue<>();
    BlockingQueue<Boolean> upstreamClosed = new LinkedBlockingQueue<>();
    try (FakeProvider provider = new FakeProvider((r, c) -> {
      c.sseHead();
      for (String delta : streams.take()) {
        c.chunk(delta);
      }
      upstreamClosed.add(c.awaitPeerClose()); // the model generates until the gateway hangs up
      c.close = true;
    })) {
      URI base = provider.baseUrl("http", "127.0.0.1");
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(route("scanned", base, RedactionMode.BLOCK)));
      Map<String, Left> ids = new LinkedHashMap<>();
      try (Gateway g = sg.start()) {
        for (Left c : cases) {
          List<String> deltas = new ArrayList<>();
          deltas.add(start(0));
          for (String d : c.deltas()) {
            deltas.add(text(0, d));
          }
          streams.add(deltas);
          try (Socket caller = SealedGateway.postRaw(g.port(), "/routes/scanned", streamed(""))) {
            caller.setSoTimeout(10_000);
            String got = RawHttp.readUntil(caller.getInputStream(), deltas.get(deltas.size() - 1));
            assertFalse(got.contains("parapet_error"), c.what() + ": " + got);
            ids.put(requestId(got), c);
          } // FIN
          assertEquals(Boolean.TRUE, upstreamClosed.poll(10, TimeUnit.SECONDS), c.what() + ": the call ended");
        }
      }
      // The grace period closes a stream still open at shutdown: its caller had the card too.
      Map<String, String> env = sg.env();
      env.put("PARAPET_SHUTDOWN_GRACE_MS", "0");
      String cutId;
      streams.add(List.of(start(0), text(0, "Charge " + CARD)));
      try (Gateway g = Boot.start(env, Wiring.production(env));
          Socket caller = SealedGateway.postRaw(g.port(), "/routes/scanned", streamed(""))) {
        caller.setSoTimeout(10_000);
        cutId = requestId(RawHttp.readUntil(caller.getInputStream(), text(0, "Charge " + CARD)));
        g.close();
        assertNotNull(upstreamClosed.poll(10, TimeUnit.SECONDS), "the cut call ended upstream");
      }
      Map<String, List<String>> truncated = new LinkedHashMap<>();
      for (EventRow e : events(sg, EventKind.STREAM_TRUNCATED)) {
        assertEquals("scan_output", e.details().get("reason"), e.toString());
        truncated.computeIfAbsent(e.requestId(), k -> new ArrayList<>()).add(e.details().get("pattern"));
      }
      Map<String, RequestRecord> rows = new LinkedHashMap<>();
      sg.withStore(store -> {
        for (String id : ids.keySet()) {
          rows.put(id, store.request(id).orElseThrow());
        }
        rows.put(cutId, store.request(cutId).orElseThrow());
      });
      for (Map.Entry<String, Left> id : ids.entrySet()) {
        Left c = id.getValue();
        RequestRecord row = rows.get(id.getKey());
        assertEquals(499, row.status(), c.what() + ": " + row);
        if (c.pattern() == null) {
          assertEquals(null, truncated.get(id.getKey()), c.what());
          assertTrue(row.notes().stream().noneMatch(n -> n.startsWith("stream_truncated")), c.what() + ": " + row);
        } else {
          assertEquals(List.of(c.pattern()), truncated.get(id.getKey()), c.what());
          assertTrue(row.notes().contains("stream_truncated:scan_output:" + c.pattern()), c.what() + ": " + row);
        }
      }
      RequestRecord cut = rows.get(cutId);
      assertEquals(503, cut.status(), cut.toString());
      assertEquals(List.of("CREDIT_CARD"), truncated.get(cutId), "a stream the shutdown cut: " + truncated);
      assertTrue(cut.notes().contains("stream_truncated:scan_output:CREDIT_CARD"), cut.toString());
    } finally {
      LeakWatch.assertNoLeaks();
    }
  }

  /** A chunk carrying a text delta for two choices at once (a server may batch them). */
  private static String texts(String text0, String text1) throws Exception {
    return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + MODEL
        + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":" + JSON.writeValueAsString(text0)
        + "},\"finish_reason\":null},{\"index\":1,\"delta\":{\"content\":" + JSON.writeValueAsString(text1)
        + "},\"finish_reason\":null}]}\n\n";
  }

  /**
   * A cut: the route, the provider's stream, what the call adds, the error the caller is told, the
   * stream_truncated events ("reason:pattern") and the scan notes its row must and must not have.
   */
  private record Cut(String what, String route, String stream, String extra, String code, List<String> events,
      List<String> noted, List<String> notNoted) {}

  /**
   * The guard cuts a stream (a match in one choice, max_tokens_out) or the drift lock does: a card
   * number held at the end of another choice's text, or of another text of the same choice, had
   * reached the caller whole and was left undecided. It is decided now, on what the caller received:
   * the text before the chunk the stream was cut on (that chunk is never sent, so digits it adds to
   * the card change nothing; digits sent before it do). The stream keeps its one stream_truncated
   * event (the first veto's); the held match is noted on the row, or is the event when the cut
   * recorded none (drift).
   */
  @Test
  void aCutDecidesTheMatchesHeldInWhatTheCallerReceived() throws Exception {
    String email = "write to dave@example.com";
    String reasoning = chunk(0, "{\"reasoning_content\":" + JSON.writeValueAsString("card " + CARD) + "}");
    String drifted = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\""
        + "deepseek-r1:70b\",\"choices\":[{\"index\":1,\"delta\":{\"content\":\"more\"},\"finish_reason\":null}]}\n\n";
    String card = "stream_truncated:scan_output:CREDIT_CARD";
    String mail = "stream_truncated:scan_output:EMAIL";
    List<Cut> cuts = List.of(
        new Cut("another choice holds a card", "scanned", start(0) + start(1) + text(0, "card " + CARD)
            + text(1, email) + DONE, ",\"n\":2", "stream_truncated", List.of("scan_output:EMAIL"),
            List.of(mail, card), List.of()),
        new Cut("the cut chunk's digits never reached the caller", "scanned", start(0) + start(1)
            + text(0, "card " + CARD) + texts("2345", email) + DONE, ",\"n\":2", "stream_truncated",
            List.of("scan_output:EMAIL"), List.of(mail, card), List.of()),
        new Cut("digits sent before the cut made it an order number", "scanned", start(0) + start(1)
            + text(0, "card " + CARD) + text(0, "2345") + text(1, email) + DONE, ",\"n\":2", "stream_truncated",
            List.of("scan_output:EMAIL"), List.of(mail), List.of(card)),
        new Cut("the same choice's reasoning holds a card", "scanned", start(0) + reasoning + text(0, email) + DONE,
            "", "stream_truncated", List.of("scan_output:EMAIL"), List.of(mail, card), List.of()),
        new Cut("max_tokens_out", "capped", start(0) + start(1) + text(0, "card " + CARD)
            + text(1, "word ".repeat(120)) + DONE, ",\"n\":2", "stream_truncated",
            List.of("max_tokens_out:null"), List.of("stream_truncated:max_tokens_out", card), List.of()),
        new Cut("drift", "strict", start(0) + start(1) + text(0, "card " + CARD) + drifted + DONE, ",\"n\":2",
            "model_drift", List.of("scan_output:CREDIT_CARD"), List.of(card), List.of()));
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      for (Cut c : cuts) {
        provider.enqueue(sse(c.stream()));
      }
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          route("scanned", provider, RedactionMode.BLOCK),
          route("capped", provider.url("/v1").uri(), RedactionMode.BLOCK, 20, false),
          route("strict", provider.url("/v1").uri(), RedactionMode.BLOCK, 500, true)));
      Map<String, Cut> ids = new LinkedHashMap<>();
      try (Gateway g = sg.start()) {
        for (Cut c : cuts) {
          HttpResponse<String> r = post(g.port(), "/routes/" + c.route(), streamed(c.extra()));
          assertEquals(200, r.statusCode(), c.what() + ": " + r.body());
          assertTrue(r.body().contains("\"code\":\"" + c.code() + "\""), c.what() + ": " + r.body());
          assertTrue(r.body().endsWith(DONE), c.what() + ": " + r.body());
          if (c.stream().contains(texts("2345", email))) {
            assertFalse(r.body().contains("2345"), c.what() + ": the cut chunk was sent: " + r.body());
          }
          ids.put(requestId(r), c);
        }
      }
      Map<String, List<String>> truncated = new LinkedHashMap<>();
      for (EventRow e : events(sg, EventKind.STREAM_TRUNCATED)) {
        truncated.computeIfAbsent(e.requestId(), k -> new ArrayList<>())
            .add(e.details().get("reason") + ":" + e.details().get("pattern"));
      }
      Map<String, RequestRecord> rows = new LinkedHashMap<>();
      sg.withStore(store -> {
        for (String id : ids.keySet()) {
          rows.put(id, store.request(id).orElseThrow());
        }
      });
      for (Map.Entry<String, Cut> id : ids.entrySet()) {
        Cut c = id.getValue();
        RequestRecord row = rows.get(id.getKey());
        assertEquals(c.events(), truncated.get(id.getKey()), c.what());
        for (String note : c.noted()) {
          assertTrue(row.notes().contains(note), c.what() + ": " + note + " missing: " + row.notes());
        }
        for (String note : c.notNoted()) {
          assertFalse(row.notes().contains(note), c.what() + ": " + note + " noted: " + row.notes());
        }
      }
    } finally {
      LeakWatch.assertNoLeaks();
    }
  }

  /**
   * A caller who hangs up while a large event (over 16 K chars) is read on a policy thread: the
   * observers were that thread's, so what the caller received went undecided (a card number at its
   * end unrecorded). Once the event is back, before the 499 row is written, the stream is decided as
   * it stood when the event left: the event's digits, which would make the card an order number,
   * never reached the caller.
   */
  @Test
  void aCallerWhoLeavesWhileALargeEventIsReadHasWhatItReceivedDecided() throws Exception {
    LeakWatch.start();
    String big = "2345" + " word".repeat(4_000);
    assertTrue(big.length() > PolicyThreads.THRESHOLD);
    HeldWork events = new HeldWork().hold();
    BlockingQueue<Boolean> upstreamClosed = new LinkedBlockingQueue<>();
    OffLoopHooks.beforeLargeEvent(events);
    try (FakeProvider provider = new FakeProvider((r, c) -> {
      c.sseHead();
      c.chunk(start(0));
      c.chunk(text(0, "Charge " + CARD));
      c.chunk(text(0, big));
      upstreamClosed.add(c.awaitPeerClose());
      c.close = true;
    })) {
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(route("scanned", provider.baseUrl("http", "127.0.0.1"), RedactionMode.BLOCK, 100_000, false)));
      String id;
      try (Gateway g = sg.start()) {
        long before = PolicyThreads.completedTasks();
        try (Socket caller = SealedGateway.postRaw(g.port(), "/routes/scanned", streamed(""))) {
          caller.setSoTimeout(10_000);
          id = requestId(RawHttp.readUntil(caller.getInputStream(), text(0, "Charge " + CARD)));
          assertTrue(events.awaitHeld(), "the large event went to a policy thread");
        } // FIN while the policy thread holds the event
        assertEquals(Boolean.TRUE, upstreamClosed.poll(10, TimeUnit.SECONDS), "the call ended");
        events.release();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (PolicyThreads.completedTasks() == before && System.nanoTime() < deadline) {
          Thread.sleep(5); // until the event is handed back to its loop, which settles and writes the row before it stops
        }
      } finally {
        OffLoopHooks.beforeLargeEvent(null);
        events.release();
      }
      List<String> truncated = new ArrayList<>();
      for (EventRow e : events(sg, EventKind.STREAM_TRUNCATED)) {
        if (e.requestId().equals(id)) {
          truncated.add(e.details().get("reason") + ":" + e.details().get("pattern"));
        }
      }
      assertEquals(List.of("scan_output:CREDIT_CARD"), truncated);
      List<RequestRecord> row = new ArrayList<>();
      sg.withStore(store -> row.add(store.request(id).orElseThrow()));
      assertEquals(499, row.get(0).status(), row.toString());
      assertTrue(row.get(0).notes().contains("stream_truncated:scan_output:CREDIT_CARD"), row.toString());
    } finally {
      LeakWatch.assertNoLeaks();
    }
  }

  private static String requestId(String head) {
    Matcher m = REQUEST_ID.matcher(head);
    assertTrue(m.find(), head);
    return m.group(1);
  }

  /** A whole answer has no held text: a card at its very end is found with or without its finish_reason. */
  @Test
  void aWholeAnswerWithoutFinishReasonIsScannedToItsEnd() throws Exception {
    String answer = "{\"id\":\"c2\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + MODEL + "\","
        + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Charge " + CARD + "\"}}],"
        + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}";
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(answer).build());
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(answer).build());
      SealedGateway sg = gateway(provider);
      try (Gateway g = sg.start()) {
        String ask = "{\"messages\":[{\"role\":\"user\",\"content\":\"pay\"}]}";
        HttpResponse<String> refused = post(g.port(), "/routes/scanned", ask);
        assertEquals(422, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("CREDIT_CARD"), refused.body());
        HttpResponse<String> scrubbed = post(g.port(), "/routes/scrubbed", ask);
        assertEquals(200, scrubbed.statusCode(), scrubbed.body());
        assertEquals("Charge [REDACTED:CREDIT_CARD]",
            JSON.readTree(scrubbed.body()).path("choices").path(0).path("message").path("content").asText());
      }
    } finally {
      LeakWatch.assertNoLeaks();
    }
  }

  private SealedGateway gateway(MockWebServer provider) {
    return new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
        route("scanned", provider, RedactionMode.BLOCK), route("scrubbed", provider, RedactionMode.WARN)));
  }

  private static Route route(String name, MockWebServer provider, RedactionMode mode) {
    return route(name, provider.url("/v1").uri(), mode);
  }

  private static Route route(String name, URI base, RedactionMode mode) {
    return route(name, base, mode, 500, false);
  }

  private static Route route(String name, URI base, RedactionMode mode, int maxTokensOut, boolean driftStrict) {
    return new Route(name, "prod", new ProviderSpec(ProviderType.LOCAL, MODEL, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(6000, maxTokensOut, "5", driftStrict, new RedactionPolicy(mode,
            List.of(RedactionPattern.EMAIL, RedactionPattern.CREDIT_CARD, RedactionPattern.IPV4), true)));
  }

  private static MockResponse sse(String stream) {
    return new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(stream, 48).build();
  }

  private static String streamed(String extra) {
    return "{\"stream\":true" + extra + ",\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}";
  }

  private static String requestId(HttpResponse<String> r) {
    return r.headers().firstValue("x-parapet-request-id").orElseThrow();
  }

  private static List<EventRow> events(SealedGateway sg, EventKind kind) throws Exception {
    List<List<EventRow>> out = new ArrayList<>();
    sg.withStore(store -> out.add(store.events(Optional.empty(), Optional.of(kind), 100)));
    return out.get(0);
  }
}
