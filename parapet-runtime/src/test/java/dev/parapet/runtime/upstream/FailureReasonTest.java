package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ParapetError;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ServerSocketFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The log line of a failed provider call says why ({@code reason=…}, docs/telemetry.md) in a fixed
 * word, over real sockets: DNS, refused and timed-out connects, each TLS verdict, each way an
 * egress proxy fails the tunnel, a garbage head, a reset, a 5xx, a stream cut off. The caller's
 * answer keeps its fixed message, and what a provider or proxy sent (a key echoed in a garbage
 * head, credentials echoed in a 407's reason phrase) reaches no log line, Netty's own included.
 */
class FailureReasonTest {
  private static final String WHOLE_MESSAGE_UNREACHABLE = "the provider could not be reached";

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private TestGateway gateway;
  /** The completion {@link #reasonFor} waited for. */
  private RequestCompleted lastCompleted;

  @BeforeEach
  void capture() {
    logs.start();
    root.addAppender(logs);
  }

  /** After the gateway stopped, so a line Netty logs late (an exception at a pipeline's tail) is in. */
  @AfterEach
  void stop() throws InterruptedException {
    try {
      if (gateway != null) {
        gateway.close();
      }
    } finally {
      root.detachAppender(logs);
    }
    for (String line : lines()) {
      for (String secret : List.of(TestGateway.PROVIDER_KEY, "PROVIDERKEY", UpstreamEgressProxyTest.PASSWORD,
          "PROXY-PW", ConnectProxy.MARKER, "cHJveHkgdXNlcjpQUk9YWS1QVzpzM2NyZXRANDIveA", PLAIN_MARKER,
          ByteBufUtil.hexDump(PLAIN_MARKER.getBytes(StandardCharsets.US_ASCII)))) {
        assertFalse(line.contains(secret), "a secret in a log line: " + line);
      }
    }
    LeakWatch.assertNoLeaks();
  }

  /** Every captured line: its message and every exception text in it, causes and suppressed too. */
  private List<String> lines() {
    List<String> all = new ArrayList<>();
    synchronized (logs) {
      for (ILoggingEvent e : logs.list) {
        StringBuilder b = new StringBuilder(e.getFormattedMessage());
        throwable(e.getThrowableProxy(), b, 0);
        all.add(b.toString());
      }
    }
    return all;
  }

  private static void throwable(IThrowableProxy t, StringBuilder b, int depth) {
    if (t == null || depth > 16) {
      return;
    }
    b.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
    throwable(t.getCause(), b, depth + 1);
    for (IThrowableProxy s : t.getSuppressed()) {
      throwable(s, b, depth + 1);
    }
  }

  /** The one line that tells how request {@code id} of {@code route} failed upstream (ids restart per gateway). */
  private String failureLine(String route, String id) {
    List<String> found = lines().stream()
        .filter(l -> l.startsWith("route=" + route + " request_id=" + id + " ") && l.contains("upstream_"))
        .toList();
    assertEquals(1, found.size(), lines().toString());
    return found.get(0);
  }

  private void startGateway(Optional<Path> ca, Optional<EgressProxy> proxy) throws Exception {
    gateway = new TestGateway(UpstreamClient.withExtraCa(ca, proxy, 8, Duration.ofSeconds(30)),
        TestProviders.create(), r -> ExchangeObserver.NONE);
  }

  private void startGateway() throws Exception {
    startGateway(Optional.of(UpstreamTlsTest.fixture("ca.pem")), Optional.empty());
  }

  private void startProxiedGateway(int proxyPort) throws Exception {
    startGateway(Optional.of(UpstreamTlsTest.fixture("ca.pem")), EgressProxy.parse(
        "http://" + UpstreamEgressProxyTest.USER_INFO + "@127.0.0.1:" + proxyPort, null));
  }

  /**
   * Calls {@code route} (whole, or streamed), expects the fixed refusal {@code status}/{@code code}
   * and returns the log line's {@code reason=} value.
   */
  private String reasonOf(String route, int status, String code, String message) throws Exception {
    HttpResponse<String> res = http.send(gateway.request(route, UpstreamProxyHandlerTest.ASK),
        HttpResponse.BodyHandlers.ofString());
    UpstreamProxyHandlerTest.assertRefusal(res, status, code);
    // the caller's answer is as it always was: the fixed message, no reason
    assertEquals(message, TestProviders.JSON.readTree(res.body()).at("/error/message").asText());
    assertFalse(res.body().contains("reason"), res.body());
    String id = res.headers().firstValue("x-parapet-request-id").orElseThrow();
    gateway.nextCompleted(); // logged before the completion: the line is in
    String line = failureLine(route, id);
    assertTrue(line.contains(": " + message + " reason="), line);
    return line.substring(line.indexOf(" reason=") + " reason=".length());
  }

  private String unreachable(String route) throws Exception {
    return reasonOf(route, 502, "upstream_error", WHOLE_MESSAGE_UNREACHABLE);
  }

  /**
   * What each word of the vocabulary is for the caller and the settlement ({@link FailureReason#kind}),
   * pinned for every word there is: the constants found by reflection and the three that carry a
   * status. A word added without a line here fails, and so does one docs/telemetry.md does not list.
   */
  @Test
  void everyWordHasItsKindAndIsDocumented() throws Exception {
    Map<String, UpstreamFailure> pinned = new TreeMap<>();
    for (String w : List.of("dns_not_found", "connection_refused", "host_unreachable", "connect_timeout",
        "connect_failed", "proxy_dns_not_found", "proxy_connection_refused", "proxy_host_unreachable",
        "proxy_connect_timeout", "proxy_connect_failed", "proxy_timeout", "proxy_reset", "proxy_malformed",
        "proxy_refused")) {
      pinned.put(w, UpstreamFailure.CONNECT);
    }
    for (String w : List.of("tls_certificate_expired", "tls_certificate_not_yet_valid", "tls_certificate_revoked",
        "tls_certificate_invalid", "tls_name_mismatch", "tls_untrusted")) {
      pinned.put(w, UpstreamFailure.TLS_CERTIFICATE);
    }
    pinned.put("tls_handshake_timeout", UpstreamFailure.TLS_HANDSHAKE_TIMEOUT);
    pinned.put("tls_not_tls", UpstreamFailure.NOT_TLS);
    pinned.put("tls_handshake", UpstreamFailure.TLS_HANDSHAKE);
    pinned.put("tls_error", UpstreamFailure.TLS_ERROR);
    for (String w : List.of("reset", "closed", "stream_incomplete")) {
      pinned.put(w, UpstreamFailure.RESET);
    }
    for (String w : List.of("malformed_head", "head_too_large", "malformed_framing", "unasked_upgrade", "not_http",
        "request_not_encoded", "unexpected_status", "unaccepted_coding", "malformed_coding", "not_event_stream",
        "malformed_answer", "malformed_event")) {
      pinned.put(w, UpstreamFailure.PROTOCOL);
    }
    for (String w : List.of("head_timeout", "idle_timeout", "total_timeout")) {
      pinned.put(w, UpstreamFailure.TIMEOUT);
    }
    for (String w : List.of("pool_exhausted", "dns_busy")) {
      pinned.put(w, UpstreamFailure.OVERLOADED);
    }
    pinned.put("server_error", UpstreamFailure.SERVER_ERROR);
    pinned.put("answer_too_large", UpstreamFailure.TOO_LARGE);
    pinned.put("provider_error_event", UpstreamFailure.PROVIDER_ERROR);

    List<FailureReason> all = new ArrayList<>(List.of(
        FailureReason.serverError(503), FailureReason.unexpectedStatus(301), FailureReason.proxyRefused(407)));
    for (Field f : FailureReason.class.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == FailureReason.class) {
        all.add((FailureReason) f.get(null));
      }
    }
    Map<String, UpstreamFailure> actual = new TreeMap<>();
    for (FailureReason r : all) {
      assertEquals(null, actual.put(r.word(), r.kind()), "two constants for " + r.word());
    }
    assertEquals(pinned, actual);

    String doc = Files.readString(Path.of("..", "docs", "telemetry.md"));
    List<String> undocumented = actual.keySet().stream().filter(w -> !doc.contains("`" + w)).toList();
    assertEquals(List.of(), undocumented, "not in docs/telemetry.md \"Why a provider call failed\"");
    // before the connection nothing reached the provider: never a kind settled as an answer it billed
    for (Throwable before : List.of(new TooLongFrameException("head"), new DecoderException("x"),
        new DecoderException(new TooLongFrameException("head")), new java.io.IOException("x"),
        new IllegalStateException("x"), new javax.net.ssl.SSLException("x"), new java.net.ConnectException("x"))) {
      for (boolean proxied : new boolean[] {false, true}) {
        UpstreamFailure kind = FailureReason.of(before, false, proxied, false).kind();
        assertTrue(Set.of(UpstreamFailure.CONNECT, UpstreamFailure.TLS_CERTIFICATE, UpstreamFailure.TLS_HANDSHAKE_TIMEOUT,
            UpstreamFailure.NOT_TLS, UpstreamFailure.TLS_HANDSHAKE, UpstreamFailure.OVERLOADED).contains(kind),
            before + " -> " + kind);
      }
    }
    // and what each kind answers (SPEC §4): 504 for a timeout, 503 for our own limit, else 502
    for (UpstreamFailure kind : UpstreamFailure.values()) {
      ParapetError expected = switch (kind) {
        case TIMEOUT -> ParapetError.UPSTREAM_TIMEOUT;
        case OVERLOADED -> ParapetError.SERVICE_UNAVAILABLE;
        case CONNECT, TLS_CERTIFICATE, TLS_HANDSHAKE_TIMEOUT, NOT_TLS, TLS_HANDSHAKE, TLS_ERROR, RESET, PROTOCOL,
            SERVER_ERROR, TOO_LARGE, PROVIDER_ERROR -> ParapetError.UPSTREAM_ERROR;
      };
      assertEquals(expected, kind.error(), kind.name());
    }
  }

  @Test
  void aRefusedConnectionAndAnUnknownHostNameAreNamed() throws Exception {
    startGateway();
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    gateway.addRoute("refused", URI.create("http://127.0.0.1:" + closed + "/v1"), 5_000);
    assertEquals("connection_refused", unreachable("refused"));
    gateway.addRoute("nxdomain", URI.create("http://no-such-provider.invalid:" + closed + "/v1"), 5_000);
    assertEquals("dns_not_found", unreachable("nxdomain"));
  }

  @Test
  void aConnectThatDoesNotFinishInTimeIsAConnectTimeout() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    OffLoopResolver.beforeLookupForTest = () -> {
      try {
        release.await(30, TimeUnit.SECONDS); // a resolver that hangs: the exchange's deadline comes first
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    try (ServerSocket provider = new ServerSocket(0)) {
      startGateway();
      gateway.addRoute("r", URI.create("http://localhost:" + provider.getLocalPort() + "/v1"), 300);
      assertEquals("connect_timeout", unreachable("r"));
    } finally {
      OffLoopResolver.beforeLookupForTest = null;
      release.countDown();
    }
  }

  @Test
  void eachTlsVerdictHasItsWord() throws Exception {
    try (FakeProvider other = new FakeProvider(UpstreamTlsTest.serverTls("other"), (r, c) -> c.close = true);
        FakeProvider localhost = new FakeProvider(UpstreamTlsTest.serverTls("localhost"), (r, c) -> c.close = true);
        FakeProvider expired = new FakeProvider(UpstreamTlsTest.serverTls("expired"), (r, c) -> c.close = true);
        ServerSocket plain = new ServerSocket(0)) {
      Thread plainServer = new Thread(() -> answerInPlainHttp(plain), "plain-http-server");
      plainServer.setDaemon(true);
      plainServer.start();
      startGateway(Optional.of(UpstreamTlsTest.fixture("ca.pem")), Optional.empty());
      gateway.addRoute("other", URI.create("https://localhost:" + other.port() + "/v1"), 5_000);
      gateway.addRoute("plain", URI.create("https://localhost:" + plain.getLocalPort() + "/v1"), 5_000);
      String tlsMessage = UpstreamFailure.TLS_CERTIFICATE.message();
      assertEquals("tls_name_mismatch", reasonOf("other", 502, "upstream_error", tlsMessage));
      assertEquals("tls_not_tls", reasonOf("plain", 502, "upstream_error", UpstreamFailure.NOT_TLS.message()));
      gateway.close();

      startGateway(Optional.empty(), Optional.empty()); // the test CA not trusted
      gateway.addRoute("unknown-ca", URI.create("https://localhost:" + localhost.port() + "/v1"), 5_000);
      assertEquals("tls_untrusted", reasonOf("unknown-ca", 502, "upstream_error", tlsMessage));
      gateway.close();

      startGateway(Optional.of(UpstreamTlsTest.fixture("expired-ca.pem")), Optional.empty());
      gateway.addRoute("expired", URI.create("https://localhost:" + expired.port() + "/v1"), 5_000);
      assertEquals("tls_certificate_expired", reasonOf("expired", 502, "upstream_error", tlsMessage));
      assertEquals(0, other.received.size() + localhost.received.size() + expired.received.size());
    }
  }

  @Test
  void eachWayAProxyFailsTheTunnelHasItsWordAndItsEchoReachesNoLog() throws Exception {
    try (ConnectProxy proxy = new ConnectProxy(ConnectProxy.Mode.ECHO_407)) {
      startProxiedGateway(proxy.port());
      gateway.addRoute("r", URI.create("https://other.example:443/v1"), 1_000);
      assertEquals("proxy_refused status=407", unreachable("r"));
      proxy.mode(ConnectProxy.Mode.REFUSE_407);
      assertEquals("proxy_refused status=407", unreachable("r"));
      proxy.mode(ConnectProxy.Mode.RESET);
      assertEquals("proxy_reset", unreachable("r"));
      proxy.mode(ConnectProxy.Mode.GARBAGE);
      assertEquals("proxy_malformed", unreachable("r"));
      proxy.mode(ConnectProxy.Mode.HANG);
      assertEquals("proxy_timeout", unreachable("r"));
      assertEquals(List.of(), proxy.errors);
    }
  }

  @Test
  void aProxyThatCannotBeReachedIsNamedAsTheProxy() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    startProxiedGateway(closed);
    gateway.addRoute("r", URI.create("https://other.example:443/v1"), 2_000);
    assertEquals("proxy_connection_refused", unreachable("r"));
  }

  @Test
  void whatTheProviderSaidWrongIsNamedAndAnEchoedKeyReachesNoLog() throws Exception {
    try (FakeProvider provider = new FakeProvider((r, c) -> {
      String fault = TestProviders.JSON.readTree(r.body()).at("/messages/0/content").asText();
      c.close = true;
      switch (fault) {
        // what a provider might send: our own key back, in a head no HTTP decoder can read
        case "garbage" -> c.write("HTTP/1.1 2x0 " + r.headers().get("authorization") + "\r\n\r\n");
        case "reset" -> c.reset();
        case "server-error" -> c.full(503, "application/json", "{\"error\":\"" + r.headers().get("authorization") + "\"}");
        case "cut-stream" -> { // the connection ends mid-stream, with no last chunk
          c.sseHead();
          c.chunk("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\""
              + TestGateway.MODEL + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"par\"}}]}\n\n");
        }
        default -> throw new IllegalStateException(fault);
      }
    })) {
      startGateway();
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      assertEquals("malformed_head", reasonFor("garbage", 502, UpstreamFailure.PROTOCOL.message()));
      assertEquals("reset", reasonFor("reset", 502, UpstreamFailure.RESET.message()));
      assertEquals("server_error status=503", reasonFor("server-error", 502, UpstreamFailure.SERVER_ERROR.message()));

      // a stream that began and was cut: the SSE error event, and its line in the log
      HttpResponse<String> res = http.send(gateway.request("r",
          "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"cut-stream\"}]}"),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, res.statusCode());
      assertTrue(res.body().contains("\"code\":\"upstream_error\""), res.body());
      assertFalse(res.body().contains("reason"), res.body());
      String id = res.headers().firstValue("x-parapet-request-id").orElseThrow();
      assertEquals(Optional.of(ParapetError.UPSTREAM_ERROR), gateway.nextCompleted().error());
      String line = failureLine("r", id);
      assertTrue(line.endsWith("stream ended upstream_error: " + UpstreamFailure.RESET.message() + " reason=closed"), line);
      assertEquals(List.of(), provider.scriptErrors);
    }
  }

  /**
   * TLS that fails once the handshake is done, on an open connection, is not told as the
   * handshake's: the provider writes, on the bare TCP connection under its TLS, bytes that are no
   * TLS record, or a record no key of the connection encrypted (its tag does not verify), before
   * its answer, after a whole answer's head and part of its body, or after a stream's first event
   * reached the caller. Each is {@code tls_error}, in the log, the completion (whence the
   * {@code upstream_error} event's {@code details.reason}) and the caller's message, settled as a
   * reset at the same point is (the kind is not PROTOCOL). Before, they were told as {@code
   * tls_not_tls} ("did not answer in TLS") and {@code tls_handshake} ("the handshake failed").
   */
  @Test
  void aTlsFailureAfterTheHandshakeIsToldAsSuchNotAsTheHandshakes() throws Exception {
    Map<java.net.Socket, java.net.Socket> bare = new ConcurrentHashMap<>();
    AtomicReference<CountDownLatch> relayed = new AtomicReference<>();
    try (FakeProvider provider = new FakeProvider(tlsOverBare(UpstreamTlsTest.serverContext("localhost"), bare),
        (r, c) -> {
          c.close = true;
          String[] fault = TestProviders.JSON.readTree(r.body()).at("/messages/0/content").asText().split(" ");
          switch (fault[0]) {
            case "before-head" -> { } // the request went; nothing of the answer yet
            case "whole" -> c.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                + UpstreamProxyHandlerTest.OPENAI_ANSWER.length() + "\r\n\r\n"
                + UpstreamProxyHandlerTest.OPENAI_ANSWER.substring(0, 20));
            case "stream" -> {
              c.sseHead();
              c.chunk("data: " + UpstreamStreamingTest.chunk("par") + "\n\n");
              if (!relayed.get().await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the first event did not reach the caller");
              }
            }
            default -> throw new IllegalStateException(fault[0]);
          }
          java.io.OutputStream under = bare.get(c.socket()).getOutputStream();
          under.write(fault[1].equals("plain") ? NOT_A_RECORD : FORGED_RECORD);
          under.flush();
          c.awaitPeerClose();
        })) {
      startGateway();
      gateway.addRoute("r", provider.baseUrl("https", "localhost"), 5_000);
      String message = UpstreamFailure.TLS_ERROR.message();
      for (String fault : List.of("before-head forged", "whole plain", "whole forged")) {
        assertEquals("tls_error", reasonFor(fault, 502, message), fault);
        assertEquals(Optional.of("tls_error"), lastCompleted.upstreamReason().map(FailureReason::word), fault);
      }
      for (String fault : List.of("stream plain", "stream forged")) {
        relayed.set(new CountDownLatch(1));
        HttpResponse<java.io.InputStream> res = http.send(gateway.request("r",
            "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + fault + "\"}]}"),
            HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, res.statusCode(), fault);
        String body;
        try (java.io.BufferedReader in = new java.io.BufferedReader(
            new java.io.InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
          String first = in.readLine();
          assertTrue(first.startsWith("data: ") && first.contains("\"par\""), first);
          relayed.get().countDown();
          body = in.lines().collect(java.util.stream.Collectors.joining("\n"));
        }
        JsonNode error = TestProviders.JSON.readTree(body.substring(body.indexOf("data: {\"error\"") + 6,
            body.indexOf("\n", body.indexOf("data: {\"error\""))));
        assertEquals("upstream_error", error.at("/error/code").asText(), body);
        assertEquals(message, error.at("/error/message").asText(), body);
        assertTrue(body.strip().endsWith("data: [DONE]"), body);
        String id = res.headers().firstValue("x-parapet-request-id").orElseThrow();
        RequestCompleted done = gateway.nextCompleted();
        assertEquals(Optional.of(ParapetError.UPSTREAM_ERROR), done.error(), fault);
        assertEquals(Optional.of("tls_error"), done.upstreamReason().map(FailureReason::word), fault);
        String line = failureLine("r", id);
        assertTrue(line.endsWith("stream ended upstream_error: " + message + " reason=tls_error"), line);
      }
      assertEquals(5, provider.received.size());
      assertEquals(List.of(), provider.scriptErrors);
    }
  }

  /** No TLS record (its first byte is no record type): what a provider gone plain-text mid-answer sends. */
  private static final byte[] NOT_A_RECORD =
      (FailureReasonTest.PLAIN_MARKER + " plain text where a TLS record should be\r\n").getBytes(StandardCharsets.US_ASCII);

  /**
   * An application_data record (RFC 8446 §5.1: type 23, legacy version 3.3, length 32) whose
   * bytes no key of the connection encrypted: it does not decrypt (bad_record_mac).
   */
  private static final byte[] FORGED_RECORD = forgedRecord();

  private static byte[] forgedRecord() {
    byte[] r = new byte[5 + 32];
    r[0] = 23;
    r[1] = 3;
    r[2] = 3;
    r[4] = 32;
    java.util.Arrays.fill(r, 5, r.length, (byte) 0x5a);
    return r;
  }

  /**
   * A server socket factory whose sockets take TCP connections and speak TLS over them ({@code
   * context}'s server side), keeping each TLS socket's bare TCP one in {@code bare}: a script can
   * then write under its TLS.
   */
  private static ServerSocketFactory tlsOverBare(SSLContext context, Map<java.net.Socket, java.net.Socket> bare) {
    return new ServerSocketFactory() {
      @Override
      public ServerSocket createServerSocket(int port, int backlog, InetAddress address) throws IOException {
        return new ServerSocket(port, backlog, address) {
          @Override
          public java.net.Socket accept() throws IOException {
            java.net.Socket tcp = super.accept();
            java.net.Socket tls = context.getSocketFactory().createSocket(tcp, null, true); // server mode
            bare.put(tls, tcp);
            return tls;
          }
        };
      }

      @Override
      public ServerSocket createServerSocket(int port) throws IOException {
        return createServerSocket(port, 50, null);
      }

      @Override
      public ServerSocket createServerSocket(int port, int backlog) throws IOException {
        return createServerSocket(port, backlog, null);
      }
    };
  }

  /** What the plain-HTTP server's answer carries: neither it nor its hex dump may reach a log line. */
  private static final String PLAIN_MARKER = "PLAIN-SERVER-ECHO-7Q";

  /** A plain-HTTP server where an https one was expected: answers any connection's first bytes with a 400. */
  static void answerInPlainHttp(ServerSocket server) {
    while (!server.isClosed()) {
      try (java.net.Socket s = server.accept()) {
        s.getInputStream().read(new byte[512]);
        s.getOutputStream().write(("HTTP/1.1 400 Bad Request\r\nx-echo: " + PLAIN_MARKER + "\r\nContent-Length: 0\r\n\r\n")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        s.getInputStream().read(new byte[512]); // until the client gives up
      } catch (java.io.IOException e) {
        // closed: the test is over, or the client hung up
      }
    }
  }

  private String reasonFor(String fault, int status, String message) throws Exception {
    String ask = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + fault + "\"}]}";
    HttpResponse<String> res = http.send(gateway.request("r", ask), HttpResponse.BodyHandlers.ofString());
    UpstreamProxyHandlerTest.assertRefusal(res, status, "upstream_error");
    assertEquals(message, TestProviders.JSON.readTree(res.body()).at("/error/message").asText());
    String id = res.headers().firstValue("x-parapet-request-id").orElseThrow();
    lastCompleted = gateway.nextCompleted();
    String line = failureLine("r", id);
    assertTrue(line.contains(": " + message + " reason="), line);
    return line.substring(line.indexOf(" reason=") + " reason=".length());
  }
}
