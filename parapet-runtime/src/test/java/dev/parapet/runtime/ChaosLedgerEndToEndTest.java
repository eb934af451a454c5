package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Role;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.config.User;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.SecretValue;
import dev.parapet.core.store.SpendKey;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.TestConfigs;
import dev.parapet.runtime.upstream.FakeProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The whole call lifecycle at random, over real sockets, against the production wiring and its
 * store: a fake provider whose behaviour per call is drawn from a seeded {@link Random} (whole and
 * streamed answers, slow ones, resets before the head, mid body and mid stream, garbage, a
 * provider error event, 429 and 500 with a body, a hang past the route's {@code timeout_ms}), and
 * a few dozen concurrent callers whose behaviour is drawn too (java.net.http or plain sockets,
 * keep-alive reuse, two pipelined requests, hanging up before the head, mid body, right after the
 * request or mid stream, a slow body, a body over the limit, a wrong token, a route of another
 * tenant, routes whose small daily budgets and tenant cap refuse some calls with 402).
 *
 * <p>Once everything is quiet it asserts the ledger's invariants rather than any one outcome: no
 * hold is left open; each route's and tenant's spend today (the store's and {@code
 * /_parapet/usage}'s) is the sum of its rows' cost and never above its cap; exactly one row and one
 * access line per request whose head reached the gateway, request ids unique; every caller that
 * stayed got a whole answer with SPEC's code for its fault (a stream ends with {@code data:
 * [DONE]}), and no answer holds the provider key or a service token; {@code
 * parapet_requests_total} and {@code parapet_refusals_total} agree with the rows; no buffer leak
 * and no last-resort failure warning.
 *
 * <p>The seed is printed; {@code -Dchaos.seed=N} replays a run ({@code -Dchaos.calls=N} sizes it).
 */
class ChaosLedgerEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL = "gpt-4o-2024-08-06";
  private static final String PROVIDER_KEY = "sk-chaos-provider-key-4242424242";
  private static final String WRONG_TOKEN = "tok-x-wrongwrongwrong00";
  private static final int TIMEOUT_MS = 3_000;
  private static final int MAX_BODY_BYTES = 32 << 10;
  private static final int CALLERS = 24;
  private static final Logger ACCESS = (Logger) LoggerFactory.getLogger("parapet.access");
  private static final Logger FAILURES = (Logger) LoggerFactory.getLogger("parapet.failure");

  @TempDir Path tmp;
  /** What the provider saw of each call, by call id: for a failure's message. */
  private static final Map<Integer, String> SEEN = new java.util.concurrent.ConcurrentHashMap<>();
  private static final long T0 = System.nanoTime();

  /** What the provider does with one call. */
  enum Fault { NORMAL, SLOW, RESET_BEFORE_HEAD, RESET_MID, GARBAGE, ERROR_EVENT, STATUS_429, STATUS_500, HANG }

  /** What one caller does. */
  enum Caller {
    HTTP_CLIENT, RAW, KEEP_ALIVE, PIPELINE, LEAVE_BEFORE_HEAD, LEAVE_MID_BODY, LEAVE_AFTER_REQUEST,
    LEAVE_MID_STREAM, SLOW_BODY, OVERSIZE, WRONG_TOKEN, FORBIDDEN, CAPPED
  }

  /** One request of the plan: its own id is in its prompt, which tells the provider its fault. */
  record Call(int id, String route, String token, Fault fault, boolean stream) {
    String body() {
      return "{\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"chaos " + id + " " + fault
          + "\"}]}";
    }

    String raw(String path) {
      byte[] b = body().getBytes(StandardCharsets.UTF_8);
      return "POST " + path + " HTTP/1.1\r\nHost: parapet\r\nAuthorization: Bearer " + token
          + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n" + body();
    }
  }

  record Session(int id, Caller caller, List<Call> calls) {}

  /** What a caller saw of one request; {@code stayed}: it waited for the whole answer. */
  record Outcome(Session session, Call call, boolean headSent, boolean stayed, int status,
      Map<String, String> headers, String body) {
    String requestId() {
      return headers.get("x-parapet-request-id");
    }
  }

  @Test
  void theLedgerHoldsUpUnderRandomCallsAndFaults() throws Exception {
    long seed = Long.getLong("chaos.seed", System.nanoTime());
    int sessions = Integer.getInteger("chaos.calls", 360);
    System.out.println("ChaosLedgerEndToEndTest seed=" + seed + " (replay with -Dchaos.seed=" + seed + ")");
    LeakWatch.start();
    ListAppender<ILoggingEvent> access = new ListAppender<>();
    access.start();
    ACCESS.addAppender(access);
    ListAppender<ILoggingEvent> failures = new ListAppender<>();
    failures.start();
    FAILURES.addAppender(failures);
    CountDownLatch release = new CountDownLatch(1);
    try (FakeProvider provider = new FakeProvider((r, c) -> answer(r, c, release))) {
      TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), config(provider.baseUrl("http", "127.0.0.1")));
      fx.env.put("PARAPET_MAX_BODY_BYTES", Integer.toString(MAX_BODY_BYTES));
      fx.boot();
      try {
        List<Session> plan = plan(new Random(seed), sessions);
        List<Outcome> outcomes = run(fx.port(), plan);
        release.countDown();
        check(seed, fx, plan, outcomes, access);
      } finally {
        release.countDown();
        fx.close();
        ACCESS.detachAppender(access);
        FAILURES.detachAppender(failures);
      }
      assertEquals(List.of(), provider.scriptErrors, "seed " + seed);
    }
    List<String> warnings = failures.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        .map(ILoggingEvent::getFormattedMessage).toList();
    assertEquals(List.of(), warnings, "seed " + seed + ": the last-resort failure handler was needed");
    LeakWatch.assertNoLeaks();
  }

  // ---------------------------------------------------------------- config

  /**
   * tenant prod (cap $5): chaos (openai at the fake provider, $10/$10 per 1M, budget $2); tenant lean
   * (cap $0.30): capped and capped2 (openai, $1000/$1000 per 1M, budgets $0.20 each), so a call's
   * worst case is ~$0.11 and a few calls fill each cap. svc-a (prod) may call chaos; svc-c (lean)
   * capped and capped2.
   */
  private static HydratedConfig config(URI base) {
    ParapetSpec spec = new ParapetSpec(1,
        List.of(new Tenant("prod", Optional.of(new BigDecimal("5")), Optional.empty()),
            new Tenant("lean", Optional.of(new BigDecimal("0.30")), Optional.empty())),
        List.of(route("chaos", "prod", base, "10", "2"), route("capped", "lean", base, "1000", "0.20"),
            route("capped2", "lean", base, "1000", "0.20")),
        List.of(new Service("svc-a", "prod", List.of("chaos"), "SVC_A_TOKEN"),
            new Service("svc-c", "lean", List.of("capped", "capped2"), "SVC_C_TOKEN")),
        List.of(new User(TelemetryFixture.ADMIN, Role.ADMIN, "ALICE_PASSWORD")));
    return new HydratedConfig(spec, Map.of("OPENAI_KEY", SecretValue.of(PROVIDER_KEY)),
        Map.of("svc-a", TestConfigs.digest(TestConfigs.TOKEN_A), "svc-c", TestConfigs.digest(TestConfigs.TOKEN_C)),
        Map.of(TelemetryFixture.ADMIN, TelemetryFixture.HASHES.get(TelemetryFixture.ADMIN)));
  }

  private static Route route(String name, String tenant, URI base, String usdPer1m, String budget) {
    return new Route(name, tenant, new ProviderSpec(ProviderType.OPENAI, MODEL, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(TelemetryFixture.price(usdPer1m, usdPer1m)), TIMEOUT_MS),
        new Policy(6000, 100, new BigDecimal(budget), true, RedactionPolicy.OFF));
  }

  // ---------------------------------------------------------------- the provider

  private static void answer(FakeProvider.Recorded r, FakeProvider.Conn c, CountDownLatch release) throws Exception {
    JsonNode body = JSON.readTree(r.body());
    String[] prompt = body.at("/messages/0/content").asText().split(" ");
    Fault fault = Fault.valueOf(prompt[2]);
    boolean stream = body.path("stream").asBoolean(false);
    SEEN.merge(Integer.parseInt(prompt[1]), "provider conn " + r.connection() + " at "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - T0) + " ms", (a, b) -> a + "; " + b);
    switch (fault) {
      case NORMAL, SLOW -> {
        int pause = fault == Fault.SLOW ? 25 : 0;
        if (stream) {
          c.sseHead();
          for (String piece : new String[] {"all", " is", " well"}) {
            c.chunk(chunk("{\"content\":\"" + piece + "\"}", ""));
            pauseMs(pause);
          }
          c.chunk(chunk("{}", ",\"finish_reason\":\"stop\""));
          c.chunk("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + MODEL
              + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}\n\n");
          c.chunk("data: [DONE]\n\n");
          c.endChunks();
        } else {
          byte[] json = SealedGateway.completion(MODEL, "all is well", 12, 3).getBytes(StandardCharsets.UTF_8);
          c.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + json.length + "\r\n\r\n");
          int half = json.length / 2;
          c.out.write(json, 0, half);
          c.out.flush();
          pauseMs(pause);
          c.out.write(json, half, json.length - half);
          c.out.flush();
        }
      }
      case RESET_BEFORE_HEAD -> c.reset();
      case RESET_MID -> {
        if (stream) {
          c.sseHead();
          c.chunk(chunk("{\"content\":\"cut\"}", ""));
        } else {
          c.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"id\":\"c\",\"cho");
        }
        c.reset();
      }
      case GARBAGE -> {
        c.write("\u0000\u0001SSH-2.0-OpenSSH_9.6\r\nnot http at all\r\n\r\n");
        c.close = true;
      }
      case ERROR_EVENT -> {
        if (stream) {
          c.sseHead();
          c.chunk(chunk("{\"content\":\"par\"}", ""));
          c.chunk("event: error\ndata: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n");
          c.endChunks();
        } else {
          c.full(200, "application/json", "{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}");
        }
      }
      case STATUS_429 -> c.full(429, "application/json",
          "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}");
      case STATUS_500 -> c.full(500, "application/json", "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}");
      case HANG -> {
        // the gateway gives up at timeout_ms and closes; the release ends a hang it never closed
        Thread t = new Thread(() -> {
          try {
            release.await(60, TimeUnit.SECONDS);
            c.reset();
          } catch (Exception ignored) {
            // closed already
          }
        });
        t.setDaemon(true);
        t.start();
        c.awaitPeerClose();
        c.close = true;
      }
    }
  }

  private static String chunk(String delta, String finish) {
    return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + MODEL
        + "\",\"choices\":[{\"index\":0,\"delta\":" + delta + finish + "}]}\n\n";
  }

  /** A provider or caller being slow on purpose (the behaviour under test, not a synchronisation). */
  private static void pauseMs(int ms) throws InterruptedException {
    if (ms > 0) {
      Thread.sleep(ms);
    }
  }

  // ---------------------------------------------------------------- the plan

  private static List<Session> plan(Random random, int sessions) {
    Caller[] callers = Caller.values();
    Fault[] faults = Fault.values();
    List<Session> plan = new ArrayList<>();
    int id = 0;
    for (int s = 0; s < sessions; s++) {
      Caller caller = callers[random.nextInt(callers.length)];
      int count = caller == Caller.KEEP_ALIVE || caller == Caller.PIPELINE ? 2 : 1;
      List<Call> calls = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        Fault fault = faults[random.nextInt(faults.length)];
        boolean stream = caller == Caller.LEAVE_MID_STREAM || random.nextBoolean();
        String route = "chaos";
        String token = TestConfigs.TOKEN_A;
        switch (caller) {
          case CAPPED -> {
            route = random.nextBoolean() ? "capped" : "capped2";
            token = TestConfigs.TOKEN_C;
          }
          case WRONG_TOKEN -> token = WRONG_TOKEN;
          case FORBIDDEN -> route = "capped";
          default -> { }
        }
        calls.add(new Call(++id, route, token, fault, stream));
      }
      plan.add(new Session(s, caller, calls));
    }
    return plan;
  }

  // ---------------------------------------------------------------- the callers

  private static List<Outcome> run(int port, List<Session> plan) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
    try {
      List<Future<List<Outcome>>> futures = new ArrayList<>();
      for (Session s : plan) {
        Callable<List<Outcome>> task = () -> session(port, http, s);
        futures.add(pool.submit(task));
      }
      List<Outcome> all = new ArrayList<>();
      for (Future<List<Outcome>> f : futures) {
        all.addAll(f.get(120, TimeUnit.SECONDS));
      }
      return all;
    } finally {
      pool.shutdownNow();
    }
  }

  private static List<Outcome> session(int port, HttpClient http, Session s) throws Exception {
    Call first = s.calls().get(0);
    String path = "/routes/" + first.route();
    List<Outcome> out = new ArrayList<>();
    switch (s.caller()) {
      case HTTP_CLIENT -> {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + first.token()).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(first.body())).build(),
            HttpResponse.BodyHandlers.ofString());
        out.add(new Outcome(s, first, true, true, r.statusCode(), joined(r.headers().map()), r.body()));
      }
      case KEEP_ALIVE -> {
        Socket socket = connect(port);
        try {
          for (Call call : s.calls()) {
            socket.getOutputStream().write(call.raw(path).getBytes(StandardCharsets.UTF_8));
            Outcome o = read(s, call, socket.getInputStream());
            out.add(o);
            if ("close".equalsIgnoreCase(o.headers().get("connection"))) {
              socket.close();
              socket = connect(port);
            }
          }
        } finally {
          socket.close();
        }
      }
      case PIPELINE -> {
        try (Socket socket = connect(port)) {
          String both = s.calls().get(0).raw(path) + s.calls().get(1).raw(path);
          socket.getOutputStream().write(both.getBytes(StandardCharsets.UTF_8));
          socket.getOutputStream().flush();
          Outcome one = read(s, s.calls().get(0), socket.getInputStream());
          out.add(one);
          if ("close".equalsIgnoreCase(one.headers().get("connection"))) {
            out.add(new Outcome(s, s.calls().get(1), true, false, -1, Map.of(), ""));
          } else {
            out.add(read(s, s.calls().get(1), socket.getInputStream()));
          }
        }
      }
      case LEAVE_BEFORE_HEAD -> {
        try (Socket socket = connect(port)) {
          String raw = first.raw(path);
          socket.getOutputStream().write(raw.substring(0, raw.indexOf("\r\n\r\n") / 2).getBytes(StandardCharsets.UTF_8));
          socket.getOutputStream().flush();
        }
        out.add(new Outcome(s, first, false, false, -1, Map.of(), ""));
      }
      case LEAVE_MID_BODY -> {
        try (Socket socket = connect(port)) {
          String raw = first.raw(path);
          int bodyAt = raw.indexOf("\r\n\r\n") + 4;
          socket.getOutputStream().write(raw.substring(0, bodyAt + (raw.length() - bodyAt) / 2)
              .getBytes(StandardCharsets.UTF_8));
          socket.getOutputStream().flush();
        }
        out.add(new Outcome(s, first, true, false, -1, Map.of(), ""));
      }
      case LEAVE_AFTER_REQUEST -> {
        try (Socket socket = connect(port)) {
          socket.getOutputStream().write(first.raw(path).getBytes(StandardCharsets.UTF_8));
          socket.getOutputStream().flush();
        }
        out.add(new Outcome(s, first, true, false, -1, Map.of(), ""));
      }
      case LEAVE_MID_STREAM -> {
        try (Socket socket = connect(port)) {
          socket.getOutputStream().write(first.raw(path).getBytes(StandardCharsets.UTF_8));
          socket.getOutputStream().flush();
          InputStream in = socket.getInputStream();
          StringBuilder seen = new StringBuilder();
          byte[] buf = new byte[512];
          while (seen.indexOf("data:") < 0 && seen.indexOf("\r\n\r\n{") < 0) { // an event, or a whole refusal
            int n = in.read(buf);
            if (n < 0) {
              break;
            }
            seen.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
          }
          socket.setSoLinger(true, 0); // and reset it
        }
        out.add(new Outcome(s, first, true, false, -1, Map.of(), ""));
      }
      case SLOW_BODY -> {
        try (Socket socket = connect(port)) {
          byte[] raw = first.raw(path).getBytes(StandardCharsets.UTF_8);
          OutputStream o = socket.getOutputStream();
          int step = raw.length / 4 + 1;
          for (int at = 0; at < raw.length; at += step) {
            o.write(raw, at, Math.min(step, raw.length - at));
            o.flush();
            pauseMs(15);
          }
          out.add(read(s, first, socket.getInputStream()));
        }
      }
      case OVERSIZE -> {
        try (Socket socket = connect(port)) {
          String pad = "x".repeat(MAX_BODY_BYTES);
          String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"chaos " + first.id() + " NORMAL " + pad + "\"}]}";
          String raw = "POST " + path + " HTTP/1.1\r\nHost: parapet\r\nAuthorization: Bearer " + first.token()
              + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n";
          socket.getOutputStream().write(raw.getBytes(StandardCharsets.UTF_8));
          socket.getOutputStream().flush();
          out.add(read(s, first, socket.getInputStream()));
        }
      }
      default -> { // RAW, WRONG_TOKEN, FORBIDDEN, CAPPED
        try (Socket socket = connect(port)) {
          socket.getOutputStream().write(first.raw(path).getBytes(StandardCharsets.UTF_8));
          socket.getOutputStream().flush();
          out.add(read(s, first, socket.getInputStream()));
        }
      }
    }
    return out;
  }

  private static Socket connect(int port) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    s.setSoTimeout(30_000);
    return s;
  }

  /** One HTTP/1.1 answer, as {@link RawHttp#readFramed} reads it; status -1 when none came. */
  private static Outcome read(Session s, Call call, InputStream in) throws IOException {
    RawHttp.Response r;
    try {
      r = RawHttp.readFramed(in);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("call " + call + " of " + s.caller() + ": no answer within 30 s");
    }
    if (r == null) {
      return new Outcome(s, call, true, true, -1, Map.of(), "");
    }
    return new Outcome(s, call, true, true, r.status(), joined(r.headers()), r.body());
  }

  /** Header fields by lower-cased name, repeated ones joined with commas (RFC 9110 §5.3). */
  private static Map<String, String> joined(Map<String, List<String>> fields) {
    Map<String, String> headers = new LinkedHashMap<>();
    fields.forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
    return headers;
  }

  // ---------------------------------------------------------------- the invariants

  /** One telemetry row, as the store holds it. */
  record Row(String requestId, String tenant, String route, int status, String errorCode, long costNano) {}

  private static void check(long seed, TelemetryFixture fx, List<Session> plan, List<Outcome> outcomes,
      ListAppender<ILoggingEvent> access) throws Exception {
    String why = "seed " + seed + ": ";
    // Every caller that stayed got SPEC's answer for its fault; nothing secret in any answer.
    Map<String, Integer> answered = new HashMap<>();
    for (Outcome o : outcomes) {
      String all = o.headers() + o.body();
      for (String secret : List.of(PROVIDER_KEY, TestConfigs.TOKEN_A, TestConfigs.TOKEN_C, WRONG_TOKEN)) {
        assertFalse(all.contains(secret), why + "an answer holds a secret: " + o);
      }
      if (o.stayed() && o.status() > 0) {
        String id = o.requestId();
        assertTrue(id != null && id.matches("[0-9a-f]{32}"), why + "no request id: " + o);
        assertEquals(null, answered.put(id, o.status()), why + "request id answered twice: " + id);
        expectAnswer(why, o);
      }
    }

    // Quiescence: nothing in flight, every row written, no hold open (store and ledger).
    long expectedRows = outcomes.stream().filter(Outcome::headSent).count();
    Map<String, Long> unanswered = new TreeMap<>();
    outcomes.stream().filter(o -> o.headSent() && !(o.stayed() && o.status() > 0))
        .forEach(o -> unanswered.merge(o.session().caller().toString(), 1L, Long::sum));
    List<Row> rows = awaitRows(fx, expectedRows, why + "(unanswered, by caller: " + unanswered + ") ");
    Set<String> ids = new HashSet<>();
    for (Row r : rows) {
      assertTrue(ids.add(r.requestId()), why + "request id in two rows: " + r.requestId());
    }
    assertEquals(expectedRows, rows.size(), why + "one row per request whose head reached the gateway");
    for (Map.Entry<String, Integer> a : answered.entrySet()) {
      Row row = rows.stream().filter(r -> r.requestId().equals(a.getKey())).findFirst()
          .orElseThrow(() -> new AssertionError(why + "no row for answered request " + a.getKey()));
      assertEquals((int) a.getValue(), row.status(), why + "row and answer disagree: " + row);
    }

    // One access line per row, same ids.
    List<String> lines;
    synchronized (access) {
      lines = access.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
    Set<String> lineIds = new HashSet<>();
    for (String l : lines) {
      String id = l.substring(l.lastIndexOf("request_id=") + "request_id=".length());
      assertTrue(lineIds.add(id), why + "two access lines for " + id + ": " + l);
    }
    assertEquals(ids, lineIds, why + "access lines and rows name the same requests");

    // Spend: the store's settled spend per route and tenant is the sum of the rows' cost, within caps.
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    Map<SpendKey, Long> spend = fx.store().spendForDay(today);
    Map<String, Long> routeCost = new TreeMap<>();
    Map<String, Long> tenantCost = new TreeMap<>();
    for (Row r : rows) {
      if (r.costNano() > 0) {
        routeCost.merge(r.route(), r.costNano(), Long::sum);
        tenantCost.merge(r.tenant(), r.costNano(), Long::sum);
      }
    }
    Map<String, Long> routeCaps = Map.of("chaos", 2_000_000_000L, "capped", 200_000_000L, "capped2", 200_000_000L);
    Map<String, Long> tenantCaps = Map.of("prod", 5_000_000_000L, "lean", 300_000_000L);
    for (String route : routeCaps.keySet()) {
      long spent = spend.getOrDefault(SpendKey.route(route), 0L);
      assertEquals(routeCost.getOrDefault(route, 0L), spent, why + "route " + route + ": rows' cost against spend");
      assertTrue(spent <= routeCaps.get(route), why + "route " + route + " spent " + spent + " past its cap");
    }
    for (String tenant : tenantCaps.keySet()) {
      long spent = spend.getOrDefault(SpendKey.tenant(tenant), 0L);
      assertEquals(tenantCost.getOrDefault(tenant, 0L), spent, why + "tenant " + tenant + ": rows' cost against spend");
      assertTrue(spent <= tenantCaps.get(tenant), why + "tenant " + tenant + " spent " + spent + " past its cap");
    }
    // The same through /_parapet/usage: each group's cost is today's spend, remaining = cap − spent (nothing held).
    JsonNode byRoute = fx.adminJson("/_parapet/usage?group_by=route");
    JsonNode byTenant = fx.adminJson("/_parapet/usage?group_by=tenant");
    for (JsonNode r : byRoute.at("/today/routes")) {
      String name = r.get("name").asText();
      assertEquals(routeCost.getOrDefault(name, 0L), nanos(r.get("spent_usd").asText()), why + r);
      assertEquals(routeCost.getOrDefault(name, 0L), groupCost(byRoute, name), why + byRoute);
      assertEquals(nanos(r.get("cap_usd").asText()) - nanos(r.get("spent_usd").asText()),
          nanos(r.get("remaining_usd").asText()), why + "a hold is still counted: " + r);
    }
    for (JsonNode t : byTenant.at("/today/tenants")) {
      String name = t.get("name").asText();
      assertEquals(tenantCost.getOrDefault(name, 0L), nanos(t.get("spent_usd").asText()), why + t);
      assertEquals(tenantCost.getOrDefault(name, 0L), groupCost(byTenant, name), why + byTenant);
      assertEquals(nanos(t.get("cap_usd").asText()) - nanos(t.get("spent_usd").asText()),
          nanos(t.get("remaining_usd").asText()), why + "a hold is still counted: " + t);
    }

    // Metrics agree with the rows, by route and status, and by refusal code.
    HttpResponse<String> scrape = fx.admin("/_parapet/metrics");
    assertEquals(200, scrape.statusCode());
    Map<String, Long> requestsByRouteStatus = new TreeMap<>();
    Map<String, Long> refusalsByCode = new TreeMap<>();
    for (Row r : rows) {
      requestsByRouteStatus.merge(r.route() + " " + r.status(), 1L, Long::sum);
      if (r.errorCode() != null) {
        refusalsByCode.merge(r.errorCode(), 1L, Long::sum);
      }
    }
    assertEquals(requestsByRouteStatus, counters(scrape.body(), "parapet_requests_total", "route", "status"),
        why + "parapet_requests_total against the rows");
    assertEquals(refusalsByCode, counters(scrape.body(), "parapet_refusals_total", "code", null),
        why + "parapet_refusals_total against the rows");

    // A summary, so a run says what it covered.
    Map<String, Long> mix = new TreeMap<>();
    rows.forEach(r -> mix.merge(r.status() + (r.errorCode() == null ? "" : " " + r.errorCode()), 1L, Long::sum));
    System.out.println("ChaosLedgerEndToEndTest seed=" + seed + ": " + plan.size() + " callers, " + rows.size()
        + " rows " + mix + ", spend " + spend);
  }

  /** SPEC's answer for a caller that stayed, from its call's fault and its caller's kind. */
  private static void expectAnswer(String why, Outcome o) throws IOException {
    Call c = o.call();
    String what = why + o.session().caller() + " " + c + " (" + SEEN.get(c.id()) + ", answered at "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - T0) + " ms) -> " + o.status() + " " + o.headers() + " " + o.body();
    switch (o.session().caller()) {
      case WRONG_TOKEN -> {
        assertRefusal(what, o, 401, "invalid_token");
        return;
      }
      case FORBIDDEN -> {
        assertRefusal(what, o, 403, "route_forbidden");
        return;
      }
      case OVERSIZE -> {
        assertRefusal(what, o, 413, "request_too_large");
        return;
      }
      case CAPPED -> {
        if (o.status() == 402) {
          assertRefusal(what, o, 402, "budget_exceeded");
          return;
        }
      }
      default -> { }
    }
    switch (c.fault()) {
      case NORMAL, SLOW -> {
        assertEquals(200, o.status(), what);
        if (c.stream()) {
          assertTrue(o.body().endsWith("data: [DONE]\n\n"), what);
          assertFalse(o.body().contains("\"error\""), what);
        } else {
          assertEquals("all is well", JSON.readTree(o.body()).at("/choices/0/message/content").asText(), what);
        }
      }
      case RESET_BEFORE_HEAD, GARBAGE, STATUS_500 -> assertRefusal(what, o, 502, "upstream_error");
      case RESET_MID, ERROR_EVENT -> {
        // A reset can drop what the provider sent before it, unread: a stream's head too.
        boolean headLost = c.fault() == Fault.RESET_MID && o.status() == 502;
        if (c.stream() && !headLost) {
          assertStreamCut(what, o, "upstream_error");
        } else {
          assertRefusal(what, o, 502, "upstream_error");
        }
      }
      case STATUS_429 -> {
        assertEquals(429, o.status(), what);
        assertEquals("rate_limit_exceeded", JSON.readTree(o.body()).at("/error/code").asText(), what);
      }
      case HANG -> assertRefusal(what, o, 504, "upstream_timeout");
    }
  }

  private static void assertRefusal(String what, Outcome o, int status, String code) throws IOException {
    assertEquals(status, o.status(), what);
    JsonNode error = JSON.readTree(o.body()).get("error");
    assertEquals("parapet_error", error.path("type").asText(), what);
    assertEquals(code, error.path("code").asText(), what);
    assertEquals(o.requestId(), error.path("request_id").asText(), what);
  }

  private static void assertStreamCut(String what, Outcome o, String code) throws IOException {
    assertEquals(200, o.status(), what);
    String body = o.body();
    assertTrue(body.endsWith("data: [DONE]\n\n"), what);
    String[] events = body.split("\n\n");
    JsonNode last = JSON.readTree(events[events.length - 2].substring("data: ".length()));
    assertEquals(code, last.at("/error/code").asText(), what);
    assertEquals("parapet_error", last.at("/error/type").asText(), what);
  }

  /** Polls until nothing is in flight, {@code expected} rows are written and no hold is open. */
  private static List<Row> awaitRows(TelemetryFixture fx, long expected, String why) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String state = "";
    while (true) {
      int inFlight = fx.gateway.inFlightRequests();
      assertTrue(fx.store().flush(Duration.ofSeconds(10)), why + "the store did not flush");
      try (Connection c = fx.openStoreWithKey(); Statement st = c.createStatement()) {
        List<Row> rows = new ArrayList<>();
        ResultSet rs = st.executeQuery("SELECT request_id, tenant, route, status, error_code, cost_nano FROM journal"
            + " WHERE kind = 'request'");
        while (rs.next()) {
          rows.add(new Row(rs.getString(1), rs.getString(2), rs.getString(3) == null ? "-" : rs.getString(3),
              rs.getInt(4), rs.getString(5), rs.getLong(6)));
        }
        ResultSet holds = st.executeQuery("SELECT count(*) FROM open_hold");
        holds.next();
        int openHolds = holds.getInt(1);
        state = "in flight " + inFlight + ", rows " + rows.size() + " of " + expected + ", open holds " + openHolds;
        if (inFlight == 0 && rows.size() >= expected && openHolds == 0) {
          return rows;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(why + "never quiet: " + state);
      }
      Thread.sleep(50);
    }
  }

  /** The counters of {@code name} by one or two labels ("a b"), from the scrape. */
  private static Map<String, Long> counters(String scrape, String name, String label1, String label2) {
    Map<String, Long> out = new TreeMap<>();
    for (String line : scrape.split("\n")) {
      if (!line.startsWith(name + "{")) {
        continue;
      }
      String labels = line.substring(name.length() + 1, line.indexOf('}'));
      Map<String, String> l = new HashMap<>();
      for (String pair : labels.split(",")) {
        int eq = pair.indexOf('=');
        l.put(pair.substring(0, eq), pair.substring(eq + 2, pair.length() - 1));
      }
      long value = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      if (value > 0) {
        out.merge(l.get(label1) + (label2 == null ? "" : " " + l.get(label2)), value, Long::sum);
      }
    }
    return out;
  }

  private static long groupCost(JsonNode usage, String name) {
    for (JsonNode g : usage.get("groups")) {
      if (g.get("group").asText().equals(name)) {
        return nanos(g.get("cost_usd").asText());
      }
    }
    return 0;
  }

  private static long nanos(String usd) {
    return new BigDecimal(usd).movePointRight(9).longValueExact();
  }
}
