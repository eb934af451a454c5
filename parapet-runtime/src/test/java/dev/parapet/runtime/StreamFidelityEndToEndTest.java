package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.SecretValue;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.TestConfigs;
import dev.parapet.runtime.upstream.FakeProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded differential test of content fidelity over real sockets: a fake provider sends
 * generated answers, cut into HTTP chunks at arbitrary byte boundaries, and each caller's answer is
 * compared with what the provider sent. Lifecycle faults are {@link ChaosLedgerEndToEndTest}'s;
 * this one is about the bytes.
 *
 * <p>What every generated provider stream may hold: text with multi-byte UTF-8 (CJK, emoji with
 * surrogate pairs and ZWJ sequences, flags, combining marks), characters JSON escapes or may
 * escape ({@code \"}, {@code \\}, {@code \n}, {@code \u0000}, {@code \u2028}, {@code \/}, any
 * non-ASCII character as {@code \}{@code uXXXX}), very long and empty deltas, role-only and
 * finish-only chunks, tool-call deltas with their arguments split at arbitrary characters, usage in
 * the finish chunk or in a usage-only chunk; framed with LF, CRLF, CR or mixed line ends, a BOM,
 * {@code : ping} comments, {@code event:}/{@code id:}/{@code retry:} fields, {@code data:} with and
 * without its space, payloads spread over several {@code data:} lines (SSE joins them with LF,
 * which JSON reads as whitespace), and blank keep-alive events.
 *
 * <p>The families (one drawn per case):
 *
 * <ul>
 *   <li>{@code OPENAI}: plain route; the caller receives the provider's payloads as the very same
 *       strings, in order (the usage-only chunk only when it asked for usage), one {@code [DONE]}
 *       last; text, tool arguments and finish_reason reassemble to the generator's; the row holds
 *       the reported usage and its price.
 *   <li>{@code OPENAI_SCAN}: a route with {@code scan_output} (EMAIL, API_KEY), the answer carrying
 *       a planted address or the route's own provider key split across deltas (or nothing planted:
 *       then untouched). The stream is cut by one {@code stream_truncated} event exactly at the
 *       delta that completes the pattern's shortest match, the text before it exact, the secret
 *       never whole at the caller.
 *   <li>{@code OPENAI_CAP}: a route with a small {@code max_tokens_out} and a provider that ignores
 *       it with one-token words: the caller gets exactly {@code max_tokens_out} of them, then one
 *       {@code stream_truncated}, {@code [DONE]}; the row carries the tokens counted, priced.
 *   <li>{@code OPENAI_DRIFT}: the first chunk names another model: 502 {@code model_drift} in
 *       SPEC's shape, no byte of the answer sent.
 *   <li>{@code OPENAI_BROKEN}: a payload that is no JSON after k good ones: k = 0 is a plain 502
 *       {@code upstream_error}, else the k payloads exact then one {@code upstream_error} event and
 *       {@code [DONE]}.
 *   <li>{@code WHOLE} and {@code WHOLE_SCAN}: non-streamed answers (content-length or chunked, cut
 *       anywhere); content, tool arguments, finish_reason and usage equal; under {@code scan_output}
 *       ({@code warn}) exactly the planted matches become {@code [REDACTED:<PATTERN>]}.
 *   <li>{@code ANTHROPIC}: an Anthropic stream (text, thinking and tool_use blocks, input_json_delta
 *       split anywhere, pings) translated: the caller's chunks are the role chunk, then per
 *       delta the text or tool call in order, no thinking, the mapped finish_reason, the usage
 *       chunk when asked, {@code [DONE]}; the row holds Anthropic's usage.
 *   <li>{@code ANTHROPIC_WHOLE}: a whole Anthropic message (text, thinking, redacted thinking and
 *       tool_use blocks, every stop reason, cache tokens): the text blocks joined (null content when
 *       only tools were called), each tool input as JSON-equal arguments, the stop reason mapped,
 *       prompt tokens the input plus cache tokens, on the answer and the row.
 *   <li>{@code OPENAI_SCAN_TOOL}: the planted secret inside a tool call's arguments, split across
 *       argument deltas: cut at the delta that completes its shortest match, arguments before it exact.
 *   <li>{@code OPENAI_N}, {@code OPENAI_SCAN_N}: {@code n} = 2, the choices' chunks interleaved,
 *       each reassembled apart, a finish per choice, usage at the end; on the scanning route a secret
 *       in one choice is cut at its completing delta whatever the other choice sends between its
 *       pieces, and a secret's halves ending one choice and opening the other (side by side in the
 *       stream) cut nothing.
 *   <li>{@code OPENAI_CAP_N}: {@code n} = 2 on the capped route: the cap is per choice, so only the
 *       choice that passes it cuts the stream; the row counts both choices' tokens.
 *   <li>{@code WHOLE_N}: whole answers of 2 or 3 choices, on the scanning route with secrets in any
 *       choice's text and tool arguments, each replaced by its mask.
 * </ul>
 *
 * <p>Text may hold lone surrogates, always escaped (RFC 8259 §8.2), and a third of the cases cut
 * deltas at chars rather than code points, so that a surrogate pair's halves travel escaped in two
 * deltas: reassembled, the caller's text is the provider's on every family.
 *
 * <p>Every answer is checked for the provider key (planted or not, it must never reach the caller
 * on a scanning route; on the others no generated text holds it). Seeds: a fixed list, or
 * {@code -Dfidelity.seed=N} (and {@code -Dfidelity.cases=N} per seed) to replay one.
 */
class StreamFidelityEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL = "gpt-4o-2024-08-06";
  private static final String CLAUDE = "claude-sonnet-4-20250514";
  private static final String PROVIDER_KEY = "sk-fidelity-provider-key-0123456789abcdef";
  private static final long[] SEEDS = {1, 7, 42, 2026, 31337};
  private static final int CASES_PER_SEED = 56;
  private static final int CAP = 12;
  private static final Pattern CASE_ID = Pattern.compile("fidelity-case-(\\d+)");

  @TempDir Path tmp;

  enum Family {
    OPENAI, OPENAI_SCAN, OPENAI_CAP, OPENAI_DRIFT, OPENAI_BROKEN, WHOLE, WHOLE_SCAN, ANTHROPIC,
    ANTHROPIC_WHOLE, OPENAI_SCAN_TOOL, OPENAI_N, OPENAI_SCAN_N, OPENAI_CAP_N, WHOLE_N
  }

  /** What a caller must receive; filled by the generator, checked against the answer. */
  static final class Case {
    final int id;
    final Family family;
    final long seed;
    String route;
    boolean stream = true;
    boolean includeUsage;
    /** The provider's answer: the HTTP head and body pieces, written and flushed one by one. */
    String head;
    final List<byte[]> pieces = new ArrayList<>();
    boolean chunked = true;
    // Expectations.
    /** OpenAI streams: the payloads the caller must receive, in order, before any cut. */
    final List<String> payloads = new ArrayList<>();
    String text = "";
    final Map<Integer, String> toolArgs = new LinkedHashMap<>();
    final Map<Integer, String> toolNames = new LinkedHashMap<>();
    String finish;
    long promptTokens = -1;
    long completionTokens = -1;
    /** A stream cut with this code after {@link #payloads}; or a refusal with this code. */
    String cutCode;
    int refusedStatus;
    /** Planted in the text; never whole at the caller. */
    String secret;
    /** Anthropic: the translated chunks, as "kind:value" strings. */
    final List<String> chunks = new ArrayList<>();
    /** OPENAI_CAP: output tokens the row must carry. */
    long countedOut = -1;
    /** The choices asked for; with more than one, {@link #texts} and {@link #finishes} hold them. */
    int n = 1;
    final Map<Integer, String> texts = new LinkedHashMap<>();
    final Map<Integer, String> finishes = new LinkedHashMap<>();
    /** Tool arguments compared as JSON (a translated answer's are written anew), not as strings. */
    boolean argsAsJson;
    /** A whole answer's content is JSON null (Anthropic: only tool calls). */
    boolean nullContent;

    Case(int id, Family family, long seed) {
      this.id = id;
      this.family = family;
      this.seed = seed;
    }

    String prompt() {
      return "fidelity-case-" + id;
    }

    @Override
    public String toString() {
      return "case " + id + " " + family + " (seed " + seed + ")";
    }
  }

  @Test
  void callersReceiveWhatProvidersSent() throws Exception {
    Long one = Long.getLong("fidelity.seed");
    long[] seeds = one != null ? new long[] {one} : SEEDS;
    int perSeed = Integer.getInteger("fidelity.cases", CASES_PER_SEED);
    Map<Integer, Case> cases = new ConcurrentHashMap<>();
    LeakWatch.start();
    try (FakeProvider provider = new FakeProvider((r, c) -> answer(cases, r, c))) {
      TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), config(provider.baseUrl("http", "127.0.0.1")));
      fx.boot();
      Map<String, Integer> mix = new LinkedHashMap<>();
      try {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        Map<String, Case> byRequestId = new LinkedHashMap<>();
        int id = 0;
        for (long seed : seeds) {
          Random random = new Random(seed);
          for (int i = 0; i < perSeed; i++) {
            Case c = Generator.generate(++id, seed, random);
            cases.put(c.id, c);
            mix.merge(c.family.toString(), 1, Integer::sum);
            HttpResponse<byte[]> response = http.send(request(fx, c), HttpResponse.BodyHandlers.ofByteArray());
            String requestId = response.headers().firstValue("x-parapet-request-id").orElseThrow(
                () -> new AssertionError(c + ": no request id"));
            check(c, response);
            byRequestId.put(requestId, c);
          }
        }
        checkRows(fx, byRequestId);
      } finally {
        fx.close();
      }
      assertEquals(List.of(), provider.scriptErrors);
      System.out.println("StreamFidelityEndToEndTest seeds " + java.util.Arrays.toString(seeds) + ": " + mix);
    }
    LeakWatch.assertNoLeaks();
  }

  // ---------------------------------------------------------------- config

  /**
   * Tenant prod, no cap; every route priced $1/$1 per 1M tokens (1,000 nano-USD a token): plain
   * (openai), scanned (openai, scan_output warn on EMAIL and API_KEY), capped (openai,
   * max_tokens_out {@value #CAP}), claude (anthropic). svc-a may call all.
   */
  private static HydratedConfig config(URI base) {
    RedactionPolicy scan = new RedactionPolicy(RedactionMode.WARN,
        List.of(RedactionPattern.EMAIL, RedactionPattern.API_KEY), true);
    List<Route> routes = List.of(
        route("plain", ProviderType.OPENAI, MODEL, base, 100_000, RedactionPolicy.OFF),
        route("scanned", ProviderType.OPENAI, MODEL, base, 100_000, scan),
        route("capped", ProviderType.OPENAI, MODEL, base, CAP, RedactionPolicy.OFF),
        route("claude", ProviderType.ANTHROPIC, CLAUDE, base, 32_000, RedactionPolicy.OFF));
    ParapetSpec spec = new ParapetSpec(1, List.of(new Tenant("prod", Optional.empty(), Optional.empty())), routes,
        List.of(new Service("svc-a", "prod", routes.stream().map(Route::name).toList(), "SVC_A_TOKEN")),
        List.of(new dev.parapet.core.config.User(TelemetryFixture.ADMIN, dev.parapet.core.config.Role.ADMIN,
            "ALICE_PASSWORD")));
    return new HydratedConfig(spec, Map.of("KEY", SecretValue.of(PROVIDER_KEY)),
        Map.of("svc-a", TestConfigs.digest(TestConfigs.TOKEN_A)),
        Map.of(TelemetryFixture.ADMIN, TelemetryFixture.HASHES.get(TelemetryFixture.ADMIN)));
  }

  private static Route route(String name, ProviderType type, String model, URI base, int maxOut,
      RedactionPolicy redaction) {
    return new Route(name, "prod", new ProviderSpec(type, model, Optional.of("KEY"), Optional.of(base), List.of(),
        Optional.of(TelemetryFixture.price("1", "1")), 10_000),
        new Policy(6000, maxOut, new BigDecimal("100000"), true, redaction));
  }

  private static HttpRequest request(TelemetryFixture fx, Case c) {
    String body = "{" + (c.stream ? "\"stream\":true," : "")
        + (c.includeUsage ? "\"stream_options\":{\"include_usage\":true}," : "")
        + (c.n > 1 ? "\"n\":" + c.n + "," : "")
        + "\"messages\":[{\"role\":\"user\",\"content\":\"" + c.prompt() + "\"}]}";
    return HttpRequest.newBuilder(fx.uri("/routes/" + c.route))
        .header("Authorization", "Bearer " + TestConfigs.TOKEN_A)
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  // ---------------------------------------------------------------- the provider

  private static void answer(Map<Integer, Case> cases, FakeProvider.Recorded r, FakeProvider.Conn conn)
      throws IOException {
    Matcher m = CASE_ID.matcher(r.body());
    if (!m.find()) {
      throw new IllegalStateException("no case id in " + r.target());
    }
    Case c = cases.get(Integer.parseInt(m.group(1)));
    conn.noDelay(); // each piece leaves as written, not held for the previous one's ACK
    OutputStream out = conn.out;
    out.write(c.head.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    for (byte[] piece : c.pieces) {
      if (c.chunked) {
        out.write((Integer.toHexString(piece.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(piece);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      } else {
        out.write(piece);
      }
      out.flush();
    }
    if (c.chunked) {
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
    if (c.cutCode != null || c.refusedStatus != 0) {
      conn.close = true; // the gateway closes a cut or refused exchange; this connection is done
    }
  }

  // ---------------------------------------------------------------- the checks

  private static void check(Case c, HttpResponse<byte[]> response) throws IOException {
    String body = new String(response.body(), StandardCharsets.UTF_8);
    String what = c + ": " + abbreviate(body);
    if (c.route.equals("scanned") || c.secret != null) {
      assertFalse(body.contains(PROVIDER_KEY), what + ": the provider key reached the caller");
    }
    if (c.secret != null) {
      assertFalse(body.contains(c.secret), what + ": the planted secret reached the caller whole");
    }
    if (c.route.equals("scanned")) {
      for (String email : Generator.EMAILS) {
        assertFalse(body.contains(email), what + ": a planted address reached the caller whole");
      }
    }
    if (c.refusedStatus != 0) {
      assertEquals(c.refusedStatus, response.statusCode(), what);
      JsonNode error = JSON.readTree(body).get("error");
      assertEquals("parapet_error", error.path("type").asText(), what);
      assertEquals(c.cutCode, error.path("code").asText(), what);
      assertEquals(response.headers().firstValue("x-parapet-request-id").orElse(""),
          error.path("request_id").asText(), what);
      return;
    }
    assertEquals(200, response.statusCode(), what);
    if (!c.stream) {
      checkWhole(c, JSON.readTree(body), what);
      return;
    }
    assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"), what);
    List<String> events = events(body, what);
    assertEquals("[DONE]", events.get(events.size() - 1), what + ": the stream does not end with [DONE]");
    assertEquals(1, events.stream().filter("[DONE]"::equals).count(), what + ": [DONE] more than once");
    List<String> payloads = new ArrayList<>(events.subList(0, events.size() - 1));
    if (c.cutCode != null) {
      JsonNode error = JSON.readTree(payloads.remove(payloads.size() - 1)).get("error");
      assertEquals("parapet_error", error.path("type").asText(), what);
      assertEquals(c.cutCode, error.path("code").asText(), what);
    }
    for (String p : payloads) {
      assertFalse(p.contains("\"parapet_error\""), what + ": an error event besides the last");
    }
    if (c.family == Family.ANTHROPIC) {
      List<String> got = new ArrayList<>();
      for (String p : payloads) {
        got.addAll(Generator.describeOpenAiChunk(JSON.readTree(p)));
      }
      assertEquals(c.chunks, got, what + firstDifference(c.chunks, got));
    } else {
      assertEquals(c.payloads, payloads, what + ": the payloads differ from the provider's");
    }
    // Reassembled from what the caller got, against the generator's own strings; per choice.
    Map<Integer, StringBuilder> texts = new LinkedHashMap<>();
    Map<Integer, String> args = new LinkedHashMap<>();
    Map<Integer, String> names = new LinkedHashMap<>();
    Map<Integer, String> finishes = new LinkedHashMap<>();
    for (String p : payloads) {
      for (JsonNode choice : JSON.readTree(p).path("choices")) {
        int at = choice.path("index").asInt();
        JsonNode delta = choice.path("delta");
        if (delta.path("content").isTextual()) {
          texts.computeIfAbsent(at, i -> new StringBuilder()).append(delta.path("content").textValue());
        }
        for (JsonNode call : delta.path("tool_calls")) {
          int index = at * 100 + call.path("index").asInt();
          if (call.path("function").path("name").isTextual()) {
            names.put(index, call.path("function").path("name").textValue());
          }
          args.merge(index, call.path("function").path("arguments").asText(""), String::concat);
        }
        if (choice.path("finish_reason").isTextual()) {
          assertEquals(null, finishes.get(at), what + ": two finish reasons for choice " + at);
          finishes.put(at, choice.path("finish_reason").textValue());
        }
      }
    }
    if (c.n == 1) {
      assertEquals(c.text, texts.getOrDefault(0, new StringBuilder()).toString(), what + ": the text differs");
      assertEquals(c.finish, finishes.get(0), what + ": the finish_reason differs");
    } else {
      Map<Integer, String> got = new LinkedHashMap<>();
      texts.forEach((i, t) -> {
        if (t.length() > 0) {
          got.put(i, t.toString());
        }
      });
      assertEquals(c.texts, got, what + ": the choices' texts differ");
      assertEquals(c.finishes, finishes, what + ": the choices' finish_reasons differ");
    }
    assertEquals(c.toolArgs, args, what + ": the tool arguments differ");
    assertEquals(c.toolNames, names, what + ": the tool names differ");
  }

  private static void checkWhole(Case c, JsonNode answer, String what) throws IOException {
    assertEquals(c.n, answer.path("choices").size(), what + ": the number of choices");
    Map<Integer, String> args = new LinkedHashMap<>();
    Map<Integer, String> names = new LinkedHashMap<>();
    for (JsonNode choice : answer.path("choices")) {
      int at = choice.path("index").asInt();
      JsonNode message = choice.path("message");
      String text = c.n == 1 ? c.text : c.texts.getOrDefault(at, "");
      String finish = c.n == 1 ? c.finish : c.finishes.get(at);
      if (c.nullContent) {
        assertTrue(message.path("content").isNull(), what + ": content is not null");
      } else {
        assertTrue(message.path("content").isTextual(), what + ": content is no string");
        assertEquals(text, message.path("content").textValue(), what + ": the text of choice " + at + " differs");
      }
      int i = 0;
      for (JsonNode call : message.path("tool_calls")) {
        names.put(at * 100 + i, call.path("function").path("name").textValue());
        args.put(at * 100 + i++, call.path("function").path("arguments").textValue());
      }
      assertEquals(finish, choice.path("finish_reason").asText(), what + ": the finish_reason of choice " + at);
    }
    if (c.argsAsJson) {
      assertEquals(c.toolArgs.keySet(), args.keySet(), what);
      for (Map.Entry<Integer, String> e : c.toolArgs.entrySet()) {
        assertEquals(JSON.readTree(e.getValue()), JSON.readTree(args.get(e.getKey())), what + ": tool arguments");
      }
    } else {
      assertEquals(c.toolArgs, args, what);
    }
    assertEquals(c.toolNames, names, what);
    assertEquals(c.promptTokens, answer.path("usage").path("prompt_tokens").asLong(), what);
    assertEquals(c.completionTokens, answer.path("usage").path("completion_tokens").asLong(), what);
  }

  /**
   * The caller's SSE body as Parapet frames it (WHATWG HTML §9.2): events end with a blank line,
   * each line is {@code data: <line>}, lines joined with LF. Anything else is a framing fault.
   */
  private static List<String> events(String body, String what) {
    assertTrue(body.endsWith("\n\n"), what + ": the body does not end an event");
    List<String> out = new ArrayList<>();
    for (String event : body.substring(0, body.length() - 2).split("\n\n", -1)) {
      StringBuilder data = new StringBuilder();
      boolean first = true;
      for (String line : event.split("\n", -1)) {
        assertTrue(line.startsWith("data: "), what + ": a line that is no data line: " + abbreviate(line));
        assertFalse(line.contains("\r"), what + ": a CR in the caller's stream");
        if (!first) {
          data.append('\n'); // data lines join with LF
        }
        first = false;
        data.append(line, "data: ".length(), line.length());
      }
      out.add(data.toString());
    }
    return out;
  }

  /** Each answered call's row: tokens and cost as reported (or counted, when cut), status. */
  private static void checkRows(TelemetryFixture fx, Map<String, Case> byRequestId) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (fx.gateway.inFlightRequests() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20); // the last calls' completions: polled, then the store flushed
    }
    assertTrue(fx.store().flush(Duration.ofSeconds(10)), "the store did not flush");
    int seen = 0;
    try (Connection db = fx.openStoreWithKey(); PreparedStatement st = db.prepareStatement(
        "SELECT tokens_in, tokens_out, cost_nano, status, error_code, notes FROM journal"
            + " WHERE kind = 'request' AND request_id = ?")) {
      for (Map.Entry<String, Case> e : byRequestId.entrySet()) {
        Case c = e.getValue();
        st.setString(1, e.getKey());
        try (ResultSet rs = st.executeQuery()) {
          assertTrue(rs.next(), c + ": no row");
          long in = rs.getLong(1);
          long out = rs.getLong(2);
          long cost = rs.getLong(3);
          String what = c + ": row in=" + in + " out=" + out + " cost=" + cost + " status=" + rs.getInt(4)
              + " code=" + rs.getString(5) + " notes=" + rs.getString(6);
          assertEquals(c.refusedStatus != 0 ? c.refusedStatus : 200, rs.getInt(4), what);
          boolean worstCase = String.valueOf(rs.getString(6)).contains("usage:worst_case");
          // An event that cannot be read is a 2xx the provider billed, nothing known of it: the
          // hold's worst case (docs/telemetry.md); every other call the tokens on its row, priced.
          assertEquals(c.family == Family.OPENAI_BROKEN, worstCase, what);
          if (worstCase) {
            assertTrue(cost > (in + out) * 1000L, what);
          } else {
            assertEquals((in + out) * 1000L, cost, what + ": cost is not the tokens priced");
          }
          if (c.cutCode == null && c.refusedStatus == 0) {
            assertEquals(c.promptTokens, in, what);
            assertEquals(c.completionTokens, out, what);
          } else if (c.countedOut >= 0) {
            assertEquals(c.countedOut, out, what + ": the cut stream's row is not the tokens counted");
          }
          seen++;
        }
      }
    }
    assertEquals(byRequestId.size(), seen);
  }

  /** Where two lists first part, each side's element with its non-ASCII chars escaped: a failure's pointer. */
  private static String firstDifference(List<String> expected, List<String> got) {
    for (int i = 0; i < Math.max(expected.size(), got.size()); i++) {
      String e = i < expected.size() ? expected.get(i) : "(none)";
      String g = i < got.size() ? got.get(i) : "(none)";
      if (!e.equals(g)) {
        return ": first difference at " + i + ": expected " + escaped(e) + " got " + escaped(g);
      }
    }
    return "";
  }

  private static String escaped(String s) {
    StringBuilder b = new StringBuilder();
    s.chars().forEach(ch -> b.append(ch >= 0x20 && ch < 0x7f ? String.valueOf((char) ch) : String.format("\\u%04x", ch)));
    return b.toString();
  }

  private static String abbreviate(String s) {
    return s.length() <= 2000 ? s : s.substring(0, 1000) + " … " + s.substring(s.length() - 1000);
  }

  // ---------------------------------------------------------------- the generator

  /** Draws one case of a family, with its provider answer and what the caller must get. */
  static final class Generator {
    private static final String[] WORDS = {" the", " cat", " sat", " on", " mat", " and", " dog", " ran", " to", " house"};
    private static final String[] PIECES = {
      "hello", " world", "漢字", "かなカナ", "한국어", "😀", "👩‍💻", "🇵🇹", "e\u0301", "n\u0303", "\"", "\\", "\n", "\t",
      "\u2028", "\u2029", "\u0000", "/", "\u007f", "\r", " ", "ä", "€", "𝄞", ",", "{", "}", ":", "data: x", "[DONE]",
      "\uD800", "\uDFFF", // lone surrogates: JSON can carry them escaped (RFC 8259 §8.2), some models send them
    };
    private static final String[] EMAILS = {"bob@example.com", "ana.lima@mail.example.org", "x_y+z@corp.io"};

    private final Random r;
    private final Case c;
    private final StringBuilder sse = new StringBuilder();
    private String eol;
    private String lastEol = "";
    private final boolean multiLine;
    /** Deltas cut at chars, not code points: surrogate pairs split across deltas. */
    private final boolean pairsApart;

    private Generator(Random r, Case c) {
      this.r = r;
      this.c = c;
      this.eol = new String[] {"\n", "\r\n", "\r", null}[r.nextInt(4)]; // null: mixed
      this.multiLine = r.nextInt(4) == 0;
      this.pairsApart = r.nextInt(3) == 0;
    }

    static Case generate(int id, long seed, Random random) {
      Family[] families = Family.values();
      Case c = new Case(id, families[random.nextInt(families.length)], seed);
      Generator g = new Generator(random, c);
      switch (c.family) {
        case OPENAI -> g.openAi("plain", false);
        case OPENAI_SCAN -> g.openAi("scanned", true);
        case OPENAI_CAP -> g.capped();
        case OPENAI_DRIFT -> g.drift();
        case OPENAI_BROKEN -> g.broken();
        case WHOLE -> g.whole("plain", false, 1);
        case WHOLE_SCAN -> g.whole("scanned", true, 1);
        case ANTHROPIC -> g.anthropic();
        case ANTHROPIC_WHOLE -> g.anthropicWhole();
        case OPENAI_SCAN_TOOL -> g.scanTool();
        case OPENAI_N -> g.openAiN("plain", false);
        case OPENAI_SCAN_N -> g.openAiN("scanned", true);
        case OPENAI_CAP_N -> g.cappedN();
        case WHOLE_N -> {
          boolean scanned = random.nextBoolean();
          g.whole(scanned ? "scanned" : "plain", scanned, 2 + random.nextInt(2));
        }
      }
      return c;
    }

    // ------------------------------------------------------------ content

    /** Text of mixed pieces, sometimes long, sometimes empty. */
    private String text() {
      int kind = r.nextInt(10);
      if (kind == 0) {
        return "";
      }
      int n = kind == 1 ? 200 + r.nextInt(2000) : 1 + r.nextInt(30);
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < n; i++) {
        b.append(PIECES[r.nextInt(PIECES.length)]);
      }
      return b.toString();
    }

    /** {@code s} cut at random code point boundaries into pieces, some of them empty. */
    private List<String> split(String s, int maxPieces) {
      if (pairsApart) {
        return splitChars(s, maxPieces);
      }
      List<String> out = new ArrayList<>();
      int[] cps = s.codePoints().toArray();
      int at = 0;
      while (at < cps.length) {
        int n = r.nextInt(6) == 0 ? 0 : 1 + r.nextInt(Math.max(1, Math.min(cps.length - at, 1 + cps.length / maxPieces)));
        n = Math.min(n, cps.length - at);
        out.add(new String(cps, at, n));
        at += n;
      }
      if (out.isEmpty() || r.nextInt(5) == 0) {
        out.add(r.nextInt(out.size() + 1), "");
      }
      return out;
    }

    /**
     * {@code s} cut at random chars, a surrogate pair's halves apart when the cut falls between them:
     * each half then travels as a lone surrogate, escaped, in its own delta.
     */
    private List<String> splitChars(String s, int maxPieces) {
      List<String> out = new ArrayList<>();
      int at = 0;
      while (at < s.length()) {
        int n = r.nextInt(6) == 0 ? 0 : 1 + r.nextInt(Math.max(1, Math.min(s.length() - at, 1 + s.length() / maxPieces)));
        n = Math.min(n, s.length() - at);
        if (n > 0 && at + n < s.length() && Character.isHighSurrogate(s.charAt(at + n - 1))
            && Character.isLowSurrogate(s.charAt(at + n)) && r.nextBoolean()) {
          n--; // sometimes the other side of the pair: the low half opens the next delta
        }
        out.add(s.substring(at, at + n));
        at += n;
      }
      if (out.isEmpty() || r.nextInt(5) == 0) {
        out.add(r.nextInt(out.size() + 1), "");
      }
      return out;
    }

    /** A JSON string literal, each character written plain or escaped at random (RFC 8259 §7). */
    private String str(String s) {
      StringBuilder b = new StringBuilder("\"");
      s.codePoints().forEach(cp -> {
        switch (cp) {
          case '"' -> b.append(r.nextBoolean() ? "\\\"" : "\\u0022");
          case '\\' -> b.append("\\\\");
          case '/' -> b.append(r.nextBoolean() ? "/" : "\\/");
          case '\n' -> b.append(r.nextBoolean() ? "\\n" : "\\u000a");
          case '\r' -> b.append(r.nextBoolean() ? "\\r" : "\\u000D");
          case '\t' -> b.append("\\t");
          default -> {
            if (cp < 0x20 || (cp >= 0xD800 && cp <= 0xDFFF)) { // a lone surrogate has no UTF-8: escaped
              b.append(String.format(r.nextBoolean() ? "\\u%04x" : "\\u%04X", cp));
            } else if (cp >= 0x80 && r.nextInt(3) == 0) {
              for (char ch : Character.toChars(cp)) {
                b.append(String.format(r.nextBoolean() ? "\\u%04x" : "\\u%04X", (int) ch));
              }
            } else {
              b.appendCodePoint(cp);
            }
          }
        }
      });
      return b.append('"').toString();
    }

    /** Object members joined by commas, some followed by a line break when payloads span data lines. */
    private String obj(String... members) {
      StringBuilder b = new StringBuilder("{");
      for (int i = 0; i < members.length; i++) {
        if (i > 0) {
          b.append(multiLine && r.nextInt(3) == 0 ? ",\n" : ",");
        }
        b.append(members[i]);
      }
      return b.append('}').toString();
    }

    // ------------------------------------------------------------ SSE framing

    private void line(String s) {
      String end = eol;
      if (end == null) {
        end = new String[] {"\n", "\r\n", "\r"}[r.nextInt(3)];
        if (s.isEmpty() && lastEol.equals("\r") && end.equals("\n")) {
          end = "\r"; // CR then an LF-ended blank line would read as one CRLF (WHATWG §9.2.5)
        }
      }
      sse.append(s).append(end);
      lastEol = end;
    }

    /** One event carrying {@code payload}, with the fields and comments SSE allows around it. */
    private void event(String type, String payload) {
      if (r.nextInt(6) == 0) {
        line(": ping");
      }
      if (type != null) {
        line("event: " + type);
      }
      if (r.nextInt(8) == 0) {
        line("id: " + r.nextInt(1000));
      }
      if (r.nextInt(10) == 0) {
        line("retry: 3000");
      }
      for (String l : payload.split("\n", -1)) {
        line((r.nextInt(4) == 0 ? "data:" : "data: ") + l);
      }
      line("");
      if (r.nextInt(12) == 0) {
        line(": keep-alive");
        line("");
      }
    }

    /** The SSE body as the provider's answer: a stream head, the bytes cut anywhere. */
    private void sseAnswer() {
      byte[] body = ((r.nextInt(10) == 0 ? "\uFEFF" : "") + sse).getBytes(StandardCharsets.UTF_8);
      c.head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
      cut(body);
    }

    /** {@code body} into pieces at arbitrary bytes: inside UTF-8 sequences, {@code data:}, CRLF. */
    private void cut(byte[] body) {
      int max = new int[] {1, 3, 17, 256, 4096}[r.nextInt(5)];
      if (body.length > 8192) {
        max = Math.max(max, 17); // a long body one byte a flush costs seconds and finds no more
      }
      for (int at = 0; at < body.length; ) {
        int n = Math.min(body.length - at, 1 + r.nextInt(max));
        c.pieces.add(java.util.Arrays.copyOfRange(body, at, at + n));
        at += n;
      }
    }

    // ------------------------------------------------------------ OpenAI streams

    private String chunk(String model, String delta, String finish, String usage) {
      return chunk(model, 0, delta, finish, usage);
    }

    private String chunk(String model, int index, String delta, String finish, String usage) {
      List<String> m = new ArrayList<>(List.of("\"id\":\"chatcmpl-f\"", "\"object\":\"chat.completion.chunk\"",
          "\"created\":1", "\"model\":\"" + model + "\""));
      m.add("\"choices\":[" + obj("\"index\":" + index, "\"delta\":" + delta, "\"logprobs\":null",
          "\"finish_reason\":" + (finish == null ? "null" : "\"" + finish + "\"")) + "]");
      if (usage != null) {
        m.add("\"usage\":" + usage);
      }
      return obj(m.toArray(String[]::new));
    }

    private String usage() {
      c.promptTokens = 1 + r.nextInt(3000);
      c.completionTokens = r.nextInt(3000);
      return obj("\"prompt_tokens\":" + c.promptTokens, "\"completion_tokens\":" + c.completionTokens,
          "\"total_tokens\":" + (c.promptTokens + c.completionTokens));
    }

    /** A payload the caller receives as it is. */
    private void send(String payload) {
      event(null, payload);
      c.payloads.add(payload);
    }

    /** Text deltas, then maybe tool calls, then the finish, usage and [DONE]. */
    private void openAi(String route, boolean plant) {
      c.route = route;
      c.includeUsage = r.nextBoolean();
      send(chunk(MODEL, obj("\"role\":\"assistant\"", "\"content\":\"\""), null, null));
      String text = text();
      int secretAt = -1;
      int minMatch = -1;
      if (plant && r.nextInt(4) != 0) {
        boolean key = r.nextBoolean();
        c.secret = key ? PROVIDER_KEY : EMAILS[r.nextInt(EMAILS.length)];
        // The pattern's shortest match: an API key's "sk-" and 20 key chars; an address up to two TLD letters.
        minMatch = key ? 23 : c.secret.indexOf('.', c.secret.indexOf('@')) + 3;
        int cut = r.nextInt(text.length() + 1);
        while (cut > 0 && Character.isLowSurrogate(text.charAt(Math.min(cut, text.length() - 1)))
            && cut < text.length()) {
          cut--;
        }
        text = text.substring(0, cut) + " " + c.secret + " " + text.substring(cut);
        secretAt = cut + 1;
      }
      int sent = 0;
      StringBuilder seen = new StringBuilder();
      boolean cutDone = false;
      for (String d : split(text, 1 + r.nextInt(40))) {
        String payload = chunk(MODEL, obj("\"content\":" + str(d)), null, null);
        sent += d.length();
        if (secretAt >= 0 && sent >= secretAt + minMatch) {
          // the delta that completes the shortest match is not sent: one stream_truncated instead
          event(null, payload);
          c.cutCode = "stream_truncated";
          c.text = seen.toString();
          cutDone = true;
          break;
        }
        send(payload);
        seen.append(d);
      }
      if (cutDone) {
        line("data: [DONE]");
        line("");
        sseAnswer();
        return;
      }
      c.text = text;
      toolCalls();
      finishAndUsage(c.toolArgs.isEmpty() ? "stop" : "tool_calls");
      sseAnswer();
    }

    private void toolCalls() {
      int calls = r.nextInt(4) == 0 ? 1 + r.nextInt(2) : 0;
      for (int i = 0; i < calls; i++) {
        String name = "tool_" + i;
        String args = "{\"q\":" + jsonString(text()) + ",\"n\":" + r.nextInt(100) + "}";
        send(chunk(MODEL, obj("\"tool_calls\":[" + obj("\"index\":" + i, "\"id\":\"call_" + i + "\"",
            "\"type\":\"function\"", "\"function\":" + obj("\"name\":\"" + name + "\"", "\"arguments\":\"\"")) + "]"),
            null, null));
        c.toolNames.put(i, name);
        for (String piece : split(args, 1 + r.nextInt(20))) {
          send(chunk(MODEL, obj("\"tool_calls\":[" + obj("\"index\":" + i,
              "\"function\":" + obj("\"arguments\":" + str(piece))) + "]"), null, null));
        }
        c.toolArgs.put(i, args);
      }
    }

    /** A JSON string for text inside arguments, the way a model writes it (Jackson: escapes only what it must). */
    private static String jsonString(String s) {
      try {
        return escapeLoneSurrogates(JSON.writeValueAsString(s));
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }

    /** Jackson writes a lone surrogate as it is, which has no UTF-8: escaped, as a model would. */
    static String escapeLoneSurrogates(String s) {
      StringBuilder b = new StringBuilder(s.length());
      for (int i = 0; i < s.length(); i++) {
        char ch = s.charAt(i);
        boolean paired = Character.isHighSurrogate(ch) ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
            : Character.isLowSurrogate(ch) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
        if (Character.isSurrogate(ch) && !paired) {
          b.append(String.format("\\u%04x", (int) ch));
        } else {
          b.append(ch);
        }
      }
      return b.toString();
    }

    /** The finish chunk, usage in it or in a usage-only chunk, then [DONE]. */
    private void finishAndUsage(String finish) {
      c.finish = finish;
      boolean usageInFinish = r.nextInt(3) == 0;
      send(chunk(MODEL, r.nextBoolean() ? "{}" : obj("\"content\":null"), finish, usageInFinish ? usage() : null));
      if (!usageInFinish) {
        String usageOnly = obj("\"id\":\"chatcmpl-f\"", "\"object\":\"chat.completion.chunk\"", "\"created\":1",
            "\"model\":\"" + MODEL + "\"", "\"choices\":[]", "\"usage\":" + usage());
        if (c.includeUsage) {
          send(usageOnly);
        } else {
          event(null, usageOnly); // Parapet asked for it on its own behalf: not the caller's
        }
      }
      if (r.nextInt(5) == 0) {
        event(null, ""); // a keep-alive with empty data: no chunk
      }
      event(null, r.nextBoolean() ? "[DONE]" : " [DONE]");
      // [DONE] is checked apart, as the one last event
    }

    /** One-token words past max_tokens_out: the guard cuts the delta with token CAP + 1. */
    private void capped() {
      c.route = "capped";
      send(chunk(MODEL, obj("\"role\":\"assistant\"", "\"content\":\"\""), null, null));
      int words = CAP + 1 + r.nextInt(20);
      StringBuilder seen = new StringBuilder();
      for (int i = 0; i < words; i++) {
        String w = WORDS[r.nextInt(WORDS.length)];
        String payload = chunk(MODEL, obj("\"content\":" + str(w)), null, null);
        if (i == CAP) {
          event(null, payload);
          break;
        }
        send(payload);
        seen.append(w);
        if (r.nextInt(4) == 0) {
          send(chunk(MODEL, "{}", null, null)); // an empty delta between
        }
      }
      TokenCounter counter = TokenCounter.forModel(ProviderType.OPENAI, MODEL);
      if (counter.count(seen.toString()) != CAP) {
        throw new AssertionError("the oracle's premise: each word is one token: " + seen);
      }
      c.text = seen.toString();
      c.cutCode = "stream_truncated";
      c.countedOut = CAP + 1;
      line("data: [DONE]");
      line("");
      sseAnswer();
    }

    private void drift() {
      c.route = "plain";
      event(null, chunk("gpt-4o-mini-2024-07-18", obj("\"role\":\"assistant\"", "\"content\":\"\""), null, null));
      event(null, chunk("gpt-4o-mini-2024-07-18", obj("\"content\":" + str(text())), null, null));
      event(null, "[DONE]");
      c.refusedStatus = 502;
      c.cutCode = "model_drift";
      sseAnswer();
    }

    private void broken() {
      c.route = "plain";
      int good = r.nextInt(4);
      StringBuilder seen = new StringBuilder();
      for (int i = 0; i < good; i++) {
        String d = i == 0 ? "" : text();
        send(chunk(MODEL, i == 0 ? obj("\"role\":\"assistant\"", "\"content\":\"\"") : obj("\"content\":" + str(d)),
            null, null));
        seen.append(d);
      }
      String whole = chunk(MODEL, obj("\"content\":" + str(text())), null, null);
      event(null, whole.substring(0, 1 + r.nextInt(whole.length() - 1))); // cut short: no JSON
      event(null, "[DONE]");
      c.text = seen.toString();
      if (good == 0) {
        c.refusedStatus = 502;
      }
      c.cutCode = "upstream_error";
      sseAnswer();
    }

    /** The pattern's shortest match in {@code secret}: an API key's "sk-" and 20 chars; an address to two TLD letters. */
    private static int minMatch(String secret) {
      return secret.startsWith("sk-") ? 23 : secret.indexOf('.', secret.indexOf('@')) + 3;
    }

    /**
     * A secret planted in a tool call's arguments, split across argument deltas, on the scanning
     * route: cut at the delta that completes the shortest match, as in the text (docs/redaction.md:
     * names and arguments are scanned as one text of their own); arguments before it exact.
     */
    private void scanTool() {
      c.route = "scanned";
      c.includeUsage = r.nextBoolean();
      send(chunk(MODEL, obj("\"role\":\"assistant\"", "\"content\":\"\""), null, null));
      String text = text();
      for (String d : split(text, 1 + r.nextInt(10))) {
        send(chunk(MODEL, obj("\"content\":" + str(d)), null, null));
      }
      c.text = text;
      int calls = 1 + r.nextInt(2);
      c.secret = r.nextBoolean() ? PROVIDER_KEY : EMAILS[r.nextInt(EMAILS.length)];
      for (int i = 0; i < calls; i++) {
        boolean planted = i == calls - 1;
        String args = planted ? "{\"q\":" + jsonString(text() + " " + c.secret + " " + text()) + "}"
            : "{\"q\":" + jsonString(text()) + ",\"n\":" + r.nextInt(100) + "}";
        int completes = planted ? args.indexOf(" " + c.secret) + 1 + minMatch(c.secret) : Integer.MAX_VALUE;
        send(chunk(MODEL, obj("\"tool_calls\":[" + obj("\"index\":" + i, "\"id\":\"call_" + i + "\"",
            "\"type\":\"function\"", "\"function\":" + obj("\"name\":\"tool_" + i + "\"", "\"arguments\":\"\"")) + "]"),
            null, null));
        c.toolNames.put(i, "tool_" + i);
        StringBuilder seen = new StringBuilder();
        for (String piece : split(args, 1 + r.nextInt(20))) {
          String payload = chunk(MODEL, obj("\"tool_calls\":[" + obj("\"index\":" + i,
              "\"function\":" + obj("\"arguments\":" + str(piece))) + "]"), null, null);
          if (seen.length() + piece.length() >= completes) {
            event(null, payload);
            c.toolArgs.put(i, seen.toString());
            c.cutCode = "stream_truncated";
            line("data: [DONE]");
            line("");
            sseAnswer();
            return;
          }
          send(payload);
          seen.append(piece);
        }
        c.toolArgs.put(i, args);
      }
      throw new AssertionError("the planted secret was never completed");
    }

    /** One queued payload of an n > 1 stream: its choice, the text it adds, whether it completes a planted match. */
    private record Item(int choice, String payload, String content, int call, String args, String name, String finish,
        boolean completes) {}

    /**
     * {@code n} = 2, the choices' chunks interleaved at random (a choice's own in order), each with
     * its role chunk, text, maybe a tool call, its finish; one usage chunk at the end. On the
     * scanning route a secret planted in one choice's text, the other's deltas between its pieces,
     * is cut exactly at the delta that completes it in that choice; or (a decoy) a secret's first
     * half ends choice 0's text and its second half opens choice 1's, the one right after the other:
     * a match made of two choices' texts, which must not cut.
     */
    private void openAiN(String route, boolean plant) {
      c.route = route;
      c.n = 2;
      c.includeUsage = r.nextBoolean();
      int secretIn = plant && r.nextInt(3) != 0 ? r.nextInt(2) : -1;
      boolean decoy = plant && secretIn < 0 && r.nextBoolean();
      String secret = plant ? (r.nextBoolean() ? PROVIDER_KEY : EMAILS[r.nextInt(EMAILS.length)]) : null;
      c.secret = secret;
      String half1 = decoy ? secret.substring(0, secret.startsWith("sk-") ? 12 : secret.indexOf('@') + 4) : null;
      List<List<Item>> queues = new ArrayList<>();
      for (int ch = 0; ch < 2; ch++) {
        List<Item> q = new ArrayList<>();
        q.add(new Item(ch, chunk(MODEL, ch, obj("\"role\":\"assistant\"", "\"content\":\"\""), null, null), "", -1,
            null, null, null, false));
        String text = text();
        int completes = Integer.MAX_VALUE;
        if (ch == secretIn) {
          int cut = r.nextInt(text.length() + 1);
          while (cut > 0 && cut < text.length() && Character.isLowSurrogate(text.charAt(cut))) {
            cut--;
          }
          text = text.substring(0, cut) + " " + secret + " " + text.substring(cut);
          completes = cut + 1 + minMatch(secret);
        } else if (decoy) {
          text = ch == 0 ? text + " " + half1 : secret.substring(half1.length()) + " " + text;
        }
        int sent = 0;
        for (String d : split(text, 1 + r.nextInt(20))) {
          sent += d.length();
          q.add(new Item(ch, chunk(MODEL, ch, obj("\"content\":" + str(d)), null, null), d, -1, null, null, null,
              sent >= completes && sent - d.length() < completes));
        }
        boolean tool = r.nextInt(4) == 0;
        if (tool) {
          q.add(new Item(ch, chunk(MODEL, ch, obj("\"tool_calls\":[" + obj("\"index\":0", "\"id\":\"call_" + ch + "\"",
              "\"type\":\"function\"", "\"function\":" + obj("\"name\":\"tool_" + ch + "\"", "\"arguments\":\"\"")) + "]"),
              null, null), "", 0, "", "tool_" + ch, null, false));
          String args = "{\"q\":" + jsonString(text()) + "}";
          for (String piece : split(args, 1 + r.nextInt(10))) {
            q.add(new Item(ch, chunk(MODEL, ch, obj("\"tool_calls\":[" + obj("\"index\":0",
                "\"function\":" + obj("\"arguments\":" + str(piece))) + "]"), null, null), "", 0, piece, null, null, false));
          }
        }
        String finish = tool ? "tool_calls" : new String[] {"stop", "length"}[r.nextInt(2)];
        q.add(new Item(ch, chunk(MODEL, ch, r.nextBoolean() ? "{}" : obj("\"content\":null"), finish, null), "", -1, null,
            null, finish, false));
        queues.add(q);
      }
      List<Item> order = new ArrayList<>();
      if (decoy) { // choice 0's text, then choice 1's at once: the halves side by side
        order.add(queues.get(0).remove(0));
        order.add(queues.get(1).remove(0));
        for (int ch = 0; ch < 2; ch++) {
          while (!queues.get(ch).isEmpty() && queues.get(ch).get(0).content() != null
              && queues.get(ch).get(0).call() < 0 && queues.get(ch).get(0).finish() == null) {
            order.add(queues.get(ch).remove(0));
          }
        }
      }
      while (!queues.get(0).isEmpty() || !queues.get(1).isEmpty()) {
        int ch = queues.get(0).isEmpty() ? 1 : queues.get(1).isEmpty() ? 0 : r.nextInt(2);
        order.add(queues.get(ch).remove(0));
      }
      Map<Integer, StringBuilder> texts = new LinkedHashMap<>();
      for (Item it : order) {
        if (it.completes()) {
          event(null, it.payload());
          c.cutCode = "stream_truncated";
          break;
        }
        send(it.payload());
        texts.computeIfAbsent(it.choice(), i -> new StringBuilder()).append(it.content());
        if (it.name() != null) {
          c.toolNames.put(it.choice() * 100, it.name());
        }
        if (it.args() != null) {
          c.toolArgs.merge(it.choice() * 100, it.args(), String::concat);
        }
        if (it.finish() != null) {
          c.finishes.put(it.choice(), it.finish());
        }
      }
      texts.forEach((i, t) -> {
        if (t.length() > 0) {
          c.texts.put(i, t.toString());
        }
      });
      if (c.cutCode != null) {
        line("data: [DONE]");
        line("");
        sseAnswer();
        return;
      }
      String usageOnly = obj("\"id\":\"chatcmpl-f\"", "\"object\":\"chat.completion.chunk\"", "\"created\":1",
          "\"model\":\"" + MODEL + "\"", "\"choices\":[]", "\"usage\":" + usage());
      if (c.includeUsage) {
        send(usageOnly);
      } else {
        event(null, usageOnly);
      }
      event(null, "[DONE]");
      sseAnswer();
    }

    /**
     * {@code n} = 2 on the capped route, a provider ignoring the cap: one choice stays within {@value
     * #CAP} one-token words, the other passes it. The cap is per choice (docs/enforcement.md), so
     * the stream is cut at the long choice's word CAP + 1 and not before, though the two together
     * pass the cap long before; the row carries every token counted, both choices'.
     */
    private void cappedN() {
      c.route = "capped";
      c.n = 2;
      int big = r.nextInt(2);
      List<List<Item>> queues = new ArrayList<>();
      for (int ch = 0; ch < 2; ch++) {
        List<Item> q = new ArrayList<>();
        q.add(new Item(ch, chunk(MODEL, ch, obj("\"role\":\"assistant\"", "\"content\":\"\""), null, null), "", -1,
            null, null, null, false));
        int words = ch == big ? CAP + 1 + r.nextInt(5) : 1 + r.nextInt(CAP);
        for (int i = 0; i < words; i++) {
          String w = WORDS[r.nextInt(WORDS.length)];
          q.add(new Item(ch, chunk(MODEL, ch, obj("\"content\":" + str(w)), null, null), w, -1, null, null, null,
              ch == big && i == CAP));
          if (r.nextInt(4) == 0) {
            q.add(new Item(ch, chunk(MODEL, ch, "{}", null, null), "", -1, null, null, null, false));
          }
        }
        if (ch != big) {
          q.add(new Item(ch, chunk(MODEL, ch, "{}", "stop", null), "", -1, null, null, "stop", false));
        }
        queues.add(q);
      }
      Map<Integer, StringBuilder> texts = new LinkedHashMap<>();
      while (true) {
        int ch = queues.get(0).isEmpty() ? 1 : queues.get(1).isEmpty() ? 0 : r.nextInt(2);
        Item it = queues.get(ch).remove(0);
        if (it.completes()) {
          event(null, it.payload());
          break;
        }
        send(it.payload());
        texts.computeIfAbsent(ch, i -> new StringBuilder()).append(it.content());
        if (it.finish() != null) {
          c.finishes.put(ch, it.finish());
        }
      }
      TokenCounter counter = TokenCounter.forModel(ProviderType.OPENAI, MODEL);
      long small = 0;
      for (Map.Entry<Integer, StringBuilder> e : texts.entrySet()) {
        String t = e.getValue().toString();
        long words = t.chars().filter(ch -> ch == ' ').count();
        if (counter.count(t) != words) {
          throw new AssertionError("the oracle's premise: each word is one token: " + t);
        }
        if (e.getKey() != big) {
          small = words;
        }
        if (!t.isEmpty()) {
          c.texts.put(e.getKey(), t);
        }
      }
      c.cutCode = "stream_truncated";
      c.countedOut = small + CAP + 1;
      line("data: [DONE]");
      line("");
      sseAnswer();
    }

    // ------------------------------------------------------------ whole answers

    /**
     * A whole answer of {@code n} choices; planted secrets (on a scanning route) in a choice's text
     * and in tool-call arguments, each of which must come back as its {@code [REDACTED:<PATTERN>]}.
     */
    private void whole(String route, boolean plant, int n) {
      c.route = route;
      c.stream = false;
      c.n = n;
      List<String> choices = new ArrayList<>();
      int callId = 0;
      for (int ch = 0; ch < n; ch++) {
        String text = text();
        String expected = text;
        if (plant) {
          int secrets = r.nextInt(3);
          for (int i = 0; i < secrets; i++) {
            String[] planted = plant();
            text = text + " " + planted[0] + " " + (i == 0 ? "漢字" : "");
            expected = expected + " " + planted[1] + " " + (i == 0 ? "漢字" : "");
          }
        }
        if (n == 1) {
          c.text = expected;
        } else {
          c.texts.put(ch, expected);
        }
        List<String> calls = new ArrayList<>();
        int k = r.nextInt(3) == 0 ? 1 + r.nextInt(2) : 0;
        for (int i = 0; i < k; i++) {
          String q = text();
          String qExpected = q;
          if (plant && r.nextBoolean()) { // a secret inside the arguments string
            String[] planted = plant();
            q = q + " " + planted[0] + " " + text();
            qExpected = qExpected + " " + planted[1] + q.substring(q.lastIndexOf(planted[0]) + planted[0].length());
          }
          String args = "{\"q\":" + jsonString(q) + "}";
          c.toolNames.put(ch * 100 + i, "tool_" + i);
          c.toolArgs.put(ch * 100 + i, "{\"q\":" + jsonString(qExpected) + "}");
          calls.add(obj("\"id\":\"call_" + callId++ + "\"", "\"type\":\"function\"",
              "\"function\":" + obj("\"name\":\"tool_" + i + "\"", "\"arguments\":" + str(args))));
        }
        String finish = k > 0 ? "tool_calls" : new String[] {"stop", "length", "content_filter"}[r.nextInt(3)];
        if (n == 1) {
          c.finish = finish;
        } else {
          c.finishes.put(ch, finish);
        }
        String message = calls.isEmpty()
            ? obj("\"role\":\"assistant\"", "\"content\":" + str(text))
            : obj("\"role\":\"assistant\"", "\"content\":" + str(text), "\"tool_calls\":[" + String.join(",", calls) + "]");
        choices.add(obj("\"index\":" + ch, "\"message\":" + message, "\"logprobs\":null",
            "\"finish_reason\":\"" + finish + "\""));
      }
      String body = obj("\"id\":\"chatcmpl-w\"", "\"object\":\"chat.completion\"", "\"created\":1",
          "\"model\":\"" + MODEL + "\"", "\"choices\":[" + String.join(",", choices) + "]", "\"usage\":" + usage());
      wholeAnswer(body);
    }

    /** A secret to plant and what a scrubbing route puts in its place. */
    private String[] plant() {
      boolean key = r.nextBoolean();
      String secret = key ? PROVIDER_KEY : EMAILS[r.nextInt(EMAILS.length)];
      c.secret = c.secret == null ? secret : c.secret;
      return new String[] {secret, key ? "[REDACTED:API_KEY]" : "[REDACTED:EMAIL]"};
    }

    private void wholeAnswer(String body) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      c.chunked = r.nextBoolean();
      c.head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
          + (c.chunked ? "transfer-encoding: chunked\r\n" : "content-length: " + bytes.length + "\r\n") + "\r\n";
      cut(bytes);
    }

    // ------------------------------------------------------------ Anthropic whole answers

    /**
     * An Anthropic {@code message}: text, thinking, redacted thinking and tool_use blocks, any stop
     * reason, usage with cache tokens: one OpenAI choice of the text blocks joined (null when only
     * tools were called), each tool_use a call whose arguments are its input (as JSON: written anew),
     * the stop reason mapped, prompt tokens the input plus cache tokens.
     */
    private void anthropicWhole() {
      c.route = "claude";
      c.stream = false;
      c.argsAsJson = true;
      List<String> blocks = new ArrayList<>();
      StringBuilder text = new StringBuilder();
      int calls = 0;
      int n = r.nextInt(5);
      for (int b = 0; b < n; b++) {
        switch (r.nextInt(4)) {
          case 0, 1 -> {
            String t = text();
            blocks.add(obj("\"type\":\"text\"", "\"text\":" + str(t)));
            text.append(t);
          }
          case 2 -> blocks.add(r.nextBoolean()
              ? obj("\"type\":\"thinking\"", "\"thinking\":" + str(text()), "\"signature\":\"EqQBCgIYAh\"")
              : obj("\"type\":\"redacted_thinking\"", "\"data\":\"EmwKAhgBEgy3va3pzix\""));
          default -> {
            String input = r.nextInt(5) == 0 ? "{}" : "{\"q\":" + jsonString(text()) + ",\"n\":" + r.nextInt(100)
                + ",\"deep\":{\"list\":[1,2.5,true,null,\"x\"]}}";
            blocks.add(obj("\"type\":\"tool_use\"", "\"id\":\"toolu_" + calls + "\"", "\"name\":\"tool_" + calls + "\"",
                "\"input\":" + input));
            c.toolNames.put(calls, "tool_" + calls);
            c.toolArgs.put(calls, input);
            calls++;
          }
        }
      }
      c.text = text.toString();
      c.nullContent = text.length() == 0 && calls > 0;
      String stop = calls > 0 ? "tool_use"
          : new String[] {"end_turn", "max_tokens", "stop_sequence", "refusal", "pause_turn"}[r.nextInt(5)];
      c.finish = switch (stop) {
        case "tool_use" -> "tool_calls";
        case "max_tokens" -> "length";
        case "refusal" -> "content_filter";
        default -> "stop";
      };
      long input = 1 + r.nextInt(3000);
      long write = r.nextBoolean() ? r.nextInt(2000) : -1;
      long read = r.nextBoolean() ? r.nextInt(2000) : -1;
      c.promptTokens = input + Math.max(0, write) + Math.max(0, read);
      c.completionTokens = r.nextInt(3000);
      List<String> usage = new ArrayList<>(List.of("\"input_tokens\":" + input));
      if (write >= 0) {
        usage.add("\"cache_creation_input_tokens\":" + write);
      }
      if (read >= 0) {
        usage.add("\"cache_read_input_tokens\":" + read);
      }
      usage.add("\"output_tokens\":" + c.completionTokens);
      String body = obj("\"id\":\"msg_w\"", "\"type\":\"message\"", "\"role\":\"assistant\"",
          "\"model\":\"" + CLAUDE + "\"", "\"content\":[" + String.join(",", blocks) + "]",
          "\"stop_reason\":\"" + stop + "\"", "\"stop_sequence\":null", "\"usage\":" + obj(usage.toArray(String[]::new)));
      wholeAnswer(body);
    }

    // ------------------------------------------------------------ Anthropic streams

    private void anthropic() {
      c.route = "claude";
      c.includeUsage = r.nextBoolean();
      c.promptTokens = 1 + r.nextInt(3000);
      event("message_start", obj("\"type\":\"message_start\"", "\"message\":" + obj("\"id\":\"msg_f\"",
          "\"type\":\"message\"", "\"role\":\"assistant\"", "\"model\":\"" + CLAUDE + "\"", "\"content\":[]",
          "\"stop_reason\":null", "\"usage\":" + obj("\"input_tokens\":" + c.promptTokens, "\"output_tokens\":1"))));
      c.chunks.add("role");
      StringBuilder text = new StringBuilder();
      int blocks = 1 + r.nextInt(4);
      int calls = 0;
      for (int b = 0; b < blocks; b++) {
        int kind = r.nextInt(3);
        if (r.nextInt(5) == 0) {
          event("ping", "{\"type\":\"ping\"}");
        }
        if (kind == 0) { // text
          event("content_block_start", obj("\"type\":\"content_block_start\"", "\"index\":" + b,
              "\"content_block\":{\"type\":\"text\",\"text\":\"\"}"));
          for (String d : split(text(), 1 + r.nextInt(20))) {
            event("content_block_delta", obj("\"type\":\"content_block_delta\"", "\"index\":" + b,
                "\"delta\":" + obj("\"type\":\"text_delta\"", "\"text\":" + str(d))));
            if (!d.isEmpty()) {
              c.chunks.add("content:" + d);
              text.append(d);
            }
          }
        } else if (kind == 1) { // thinking: billed, never sent
          event("content_block_start", obj("\"type\":\"content_block_start\"", "\"index\":" + b,
              "\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}"));
          for (String d : split(text(), 1 + r.nextInt(10))) {
            event("content_block_delta", obj("\"type\":\"content_block_delta\"", "\"index\":" + b,
                "\"delta\":" + obj("\"type\":\"thinking_delta\"", "\"thinking\":" + str(d))));
          }
          event("content_block_delta", obj("\"type\":\"content_block_delta\"", "\"index\":" + b,
              "\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQBCgIYAh\"}"));
        } else { // tool_use, its input split anywhere
          String name = "tool_" + calls;
          String id = "toolu_" + calls;
          event("content_block_start", obj("\"type\":\"content_block_start\"", "\"index\":" + b,
              "\"content_block\":" + obj("\"type\":\"tool_use\"", "\"id\":\"" + id + "\"", "\"name\":\"" + name + "\"",
                  "\"input\":{}")));
          c.chunks.add("tool:" + calls + ":" + id + ":" + name);
          c.toolNames.put(calls, name);
          String input = r.nextInt(5) == 0 ? "" : "{\"q\":" + jsonString(text()) + "}";
          for (String piece : split(input, 1 + r.nextInt(20))) {
            event("content_block_delta", obj("\"type\":\"content_block_delta\"", "\"index\":" + b,
                "\"delta\":" + obj("\"type\":\"input_json_delta\"", "\"partial_json\":" + str(piece))));
            if (!piece.isEmpty()) {
              c.chunks.add("args:" + calls + ":" + piece);
            }
          }
          if (input.isEmpty()) {
            c.chunks.add("args:" + calls + ":{}"); // no input streamed: {} at the block's stop
            input = "{}";
          }
          c.toolArgs.put(calls, input);
          calls++;
        }
        event("content_block_stop", obj("\"type\":\"content_block_stop\"", "\"index\":" + b));
      }
      c.text = text.toString();
      String stop = calls > 0 ? "tool_use" : new String[] {"end_turn", "max_tokens", "stop_sequence"}[r.nextInt(3)];
      c.finish = switch (stop) {
        case "tool_use" -> "tool_calls";
        case "max_tokens" -> "length";
        default -> "stop";
      };
      c.completionTokens = r.nextInt(3000);
      event("message_delta", obj("\"type\":\"message_delta\"", "\"delta\":" + obj("\"stop_reason\":\"" + stop + "\"",
          "\"stop_sequence\":null"), "\"usage\":{\"output_tokens\":" + c.completionTokens + "}"));
      c.chunks.add("finish:" + c.finish);
      if (c.includeUsage) {
        c.chunks.add("usage:" + c.promptTokens + ":" + c.completionTokens);
      }
      event("message_stop", "{\"type\":\"message_stop\"}");
      sseAnswer();
    }

    /** An OpenAI chunk the gateway sent, as the Anthropic expectations name its parts. */
    static List<String> describeOpenAiChunk(JsonNode chunk) {
      List<String> out = new ArrayList<>();
      if (chunk.has("usage") && chunk.path("choices").isEmpty()) {
        out.add("usage:" + chunk.path("usage").path("prompt_tokens").asLong() + ":"
            + chunk.path("usage").path("completion_tokens").asLong());
        return out;
      }
      JsonNode choice = chunk.path("choices").path(0);
      JsonNode delta = choice.path("delta");
      if (delta.path("role").isTextual()) {
        out.add("role");
      } else if (delta.path("content").isTextual()) {
        out.add("content:" + delta.path("content").textValue());
      }
      for (JsonNode call : delta.path("tool_calls")) {
        int index = call.path("index").asInt();
        if (call.has("id")) {
          out.add("tool:" + index + ":" + call.path("id").textValue() + ":" + call.path("function").path("name").textValue());
        } else {
          out.add("args:" + index + ":" + call.path("function").path("arguments").textValue());
        }
      }
      if (choice.path("finish_reason").isTextual()) {
        out.add("finish:" + choice.path("finish_reason").textValue());
      }
      return out;
    }
  }
}
