package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.Usage;
import dev.parapet.runtime.testing.AllLogs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A provider (or local model server) that breaks HTTP/1.1 in the ways a buggy or hostile one does,
 * behind the gateway, over real sockets: the caller gets SPEC's code, and the next call on the
 * same pooled connection or origin gets its own answer, charged as its own. One connection per
 * origin, so a connection the pool kept would serve that next call.
 */
class HostileProviderEndToEndTest {
  private static final String ANSWER = UpstreamProxyHandlerTest.OPENAI_ANSWER;
  private static final String CHUNK = "data: " + UpstreamStreamingTest.chunk("par") + "\n\ndata: [DONE]\n\n";

  private TestGateway gateway;
  /** Calls settled at their worst case ({@link ExchangeObserver#onUnreadableAnswer}). */
  private final AtomicInteger unreadable = new AtomicInteger();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    gateway = new TestGateway(new UpstreamClient(UpstreamTls.withExtraCa(Optional.empty()), 1,
        UpstreamClient.DEFAULT_IDLE_TIMEOUT), TestProviders.create(), r -> new ExchangeObserver() {
          @Override
          public void onUnreadableAnswer() {
            unreadable.incrementAndGet();
          }
        });
  }

  @AfterEach
  void stop() throws InterruptedException {
    gateway.close();
    LeakWatch.assertNoLeaks();
  }

  static List<Arguments> routes() {
    return List.of(Arguments.of(ProviderType.OPENAI, false), Arguments.of(ProviderType.OPENAI, true),
        Arguments.of(ProviderType.LOCAL, false), Arguments.of(ProviderType.LOCAL, true));
  }

  private HttpResponse<String> post(String content, boolean stream) throws Exception {
    return http.send(gateway.request("r", "{\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\""
        + content + "\"}]}"), HttpResponse.BodyHandlers.ofString());
  }

  private FakeProvider provider(ProviderType type, FakeProvider.Script fault) throws Exception {
    return provider(type, 5_000, fault);
  }

  private FakeProvider provider(ProviderType type, int timeoutMs, FakeProvider.Script fault) throws Exception {
    FakeProvider provider = new FakeProvider((req, c) -> {
      if (req.body().contains("FAULT")) {
        fault.answer(req, c);
      } else {
        c.full(200, "application/json", ANSWER.replace("\"hi\"", "\"ok" + req.connection() + "\""));
      }
    });
    gateway.routes.put("r", TestGateway.route("r", type, Optional.of(provider.baseUrl("http", "127.0.0.1")), timeoutMs));
    return provider;
  }

  /** The next, well-behaved call gets its own answer, on a connection of its own, charged its own usage. */
  private void assertNextCallIsItsOwn(FakeProvider provider) throws Exception {
    HttpResponse<String> next = post("next", false);
    assertEquals(200, next.statusCode(), next.body());
    assertTrue(next.body().contains("\"ok2\""), next.body());
    RequestCompleted done = gateway.nextCompleted();
    assertEquals(200, done.status());
    assertEquals(Optional.of(new Usage(7, 1)), done.usage());
    assertEquals(2, provider.connections.get());
  }

  /** Bytes past the answer's end that are no whole message: a short Content-Length, a stray half head. */
  @ParameterizedTest(name = "{0} stream={1}")
  @MethodSource("routes")
  void bytesPastAnAnswerDoNotReachTheNextCall(ProviderType type, boolean stream) throws Exception {
    try (FakeProvider provider = provider(type, (req, c) -> {
      if (stream) {
        c.sseHead();
        c.chunk(CHUNK);
        c.write("0\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 300\r\n");
      } else {
        c.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + ANSWER.length() + "\r\n\r\n"
            + ANSWER + "xyz");
      }
    })) {
      HttpResponse<String> res = post("FAULT", stream);
      assertEquals(200, res.statusCode(), res.body());
      assertEquals(200, gateway.nextCompleted().status());
      assertNextCallIsItsOwn(provider);
    }
  }

  /**
   * A blank line after an answer (a CRLF past its Content-Length, which some servers send): the
   * decoder skips it before any next status line, so it is no stray part of a message and the
   * connection is reused, as it was before the pool checked for held bytes.
   */
  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.EnumSource(value = ProviderType.class, names = {"OPENAI", "LOCAL"})
  void aBlankLineAfterAnAnswerKeepsItsConnection(ProviderType type) throws Exception {
    try (FakeProvider provider = provider(type, (req, c) -> c.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + "content-length: " + ANSWER.length() + "\r\n\r\n" + ANSWER + "\r\n"))) {
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> res = post("FAULT", false);
        assertEquals(200, res.statusCode(), res.body());
        assertEquals(200, gateway.nextCompleted().status());
      }
      assertEquals(1, provider.connections.get());
    }
  }

  /**
   * A 101 Switching Protocols we never asked for (RFC 9110 §15.2.2): what follows is no HTTP answer
   * to wait for. A 502 at once, not a 504 once timeout_ms has passed; the connection is closed.
   */
  @ParameterizedTest(name = "{0} stream={1}")
  @MethodSource("routes")
  void anUnaskedSwitchOfProtocolsIs502AtOnce(ProviderType type, boolean stream) throws Exception {
    try (FakeProvider provider = provider(type, (req, c) -> {
      c.write("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n");
      c.full(200, "application/json", ANSWER);
    })) {
      HttpResponse<String> res = post("FAULT", stream);
      assertEquals(502, res.statusCode(), res.body());
      assertEquals("upstream_error", TestProviders.JSON.readTree(res.body()).at("/error/code").asText());
      assertEquals(502, gateway.nextCompleted().status());
      assertNextCallIsItsOwn(provider);
    }
  }

  /** Informational answers (100, 103 with its Link fields, several) before the answer are skipped. */
  @ParameterizedTest(name = "{0} stream={1}")
  @MethodSource("routes")
  void informationalAnswersBeforeTheAnswerAreSkipped(ProviderType type, boolean stream) throws Exception {
    try (FakeProvider provider = provider(type, (req, c) -> {
      c.write("HTTP/1.1 100 Continue\r\n\r\n" + "HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n".repeat(3));
      if (stream) {
        c.sseHead();
        c.chunk(CHUNK);
        c.endChunks();
      } else {
        c.full(200, "application/json", ANSWER);
      }
    })) {
      HttpResponse<String> res = post("FAULT", stream);
      assertEquals(200, res.statusCode(), res.body());
      assertTrue(res.body().contains(stream ? "\"par\"" : "\"hi\""), res.body());
      assertEquals(Optional.empty(), res.headers().firstValue("link"));
      assertEquals(200, gateway.nextCompleted().status());
      HttpResponse<String> next = post("next", false);
      assertTrue(next.body().contains("\"ok1\""), "the connection is reused: " + next.body());
      gateway.nextCompleted();
    }
  }

  private static final String REFUSAL = "{\"error\":{\"message\":\"Incorrect API key provided: "
      + TestGateway.PROVIDER_KEY + "\",\"type\":\"invalid_request_error\"}}";
  /** A refusal whose decoding runs past what the loop decodes itself: decoded on a policy thread. */
  private static final String LARGE_REFUSAL = "{\"error\":{\"message\":\"" + ("key " + TestGateway.PROVIDER_KEY
      + " ").repeat(5_000) + "\"}}";

  /** One refusal as a provider that ignores our Accept-Encoding: identity sends it: its fields, its body. */
  private record Coded(String fields, byte[] body) {
    @Override
    public String toString() {
      return fields.replace("\r\n", " | ");
    }
  }

  /** Writes a 401 with {@code coded}'s fields, framed by its length unless they name chunked. */
  private static FakeProvider.Script refusal(Coded coded) {
    return (req, c) -> {
      if (coded.fields().contains("chunked")) {
        c.write("HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n" + coded.fields() + "\r\n\r\n");
        int half = coded.body().length / 2;
        for (int[] piece : new int[][] {{0, half}, {half, coded.body().length}}) {
          c.out.write((Integer.toHexString(piece[1] - piece[0]) + "\r\n").getBytes(StandardCharsets.US_ASCII));
          c.out.write(coded.body(), piece[0], piece[1] - piece[0]);
          c.out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        c.endChunks();
      } else {
        c.write("HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n" + coded.fields()
            + "\r\ncontent-length: " + coded.body().length + "\r\n\r\n");
        c.out.write(coded.body());
        c.out.flush();
      }
    };
  }

  private HttpResponse<String> postFault(boolean stream) throws Exception {
    return http.send(gateway.request("r", "{\"stream\":" + stream
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"FAULT\"}]}"), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * SPEC §4: provider error bodies pass through for 4xx. A provider that compresses its refusal
   * despite our {@code Accept-Encoding: identity} (gzip, x-gzip, deflate as zlib or raw; as a
   * content coding, a transfer coding under chunked, or two layers) still refused the call: the
   * caller gets its status and its body decoded, the key scrubbed from it, as identity (no
   * Content-Encoding, its own Content-Length). A large one is decoded off the loop, the same.
   */
  @ParameterizedTest(name = "{0} stream={1}")
  @MethodSource("routes")
  void aCompressedRefusalPassesThroughDecodedWithTheKeyScrubbed(ProviderType type, boolean stream) throws Exception {
    byte[] plain = REFUSAL.getBytes(StandardCharsets.UTF_8);
    byte[] large = LARGE_REFUSAL.getBytes(StandardCharsets.UTF_8);
    for (var sent : List.of(
        Map.entry(new Coded("content-encoding: gzip", gzip(plain)), REFUSAL),
        Map.entry(new Coded("Content-Encoding: X-GZIP", gzip(plain)), REFUSAL),
        Map.entry(new Coded("content-encoding: deflate", zlib(plain, false)), REFUSAL),
        Map.entry(new Coded("content-encoding: deflate", zlib(plain, true)), REFUSAL),
        Map.entry(new Coded("transfer-encoding: gzip, chunked", gzip(plain)), REFUSAL),
        Map.entry(new Coded("content-encoding: gzip, gzip", gzip(gzip(plain))), REFUSAL),
        Map.entry(new Coded("content-encoding: identity\r\ncontent-encoding: deflate\r\ntransfer-encoding: gzip, chunked",
            gzip(zlib(plain, false))), REFUSAL),
        Map.entry(new Coded("content-encoding: gzip", new byte[0]), ""),
        Map.entry(new Coded("content-encoding: gzip", gzip(large)), LARGE_REFUSAL),
        Map.entry(new Coded("content-encoding: gzip, deflate", zlib(gzip(large), false)), LARGE_REFUSAL))) {
      try (FakeProvider provider = provider(type, refusal(sent.getKey()))) {
        HttpResponse<String> res = postFault(stream);
        assertEquals(401, res.statusCode(), sent.getKey() + ": " + res.body());
        assertEquals(sent.getValue().replace(TestGateway.PROVIDER_KEY, "[REDACTED]"), res.body(), sent.getKey().toString());
        assertEquals(Optional.empty(), res.headers().firstValue("content-encoding"));
        assertEquals(Optional.empty(), res.headers().firstValue("transfer-encoding"));
        assertEquals(String.valueOf(res.body().getBytes(StandardCharsets.UTF_8).length),
            res.headers().firstValue("content-length").orElseThrow());
        assertEquals("application/json", res.headers().firstValue("content-type").orElseThrow());
        RequestCompleted done = gateway.nextCompleted();
        assertEquals(401, done.status());
        assertEquals(Optional.empty(), done.error());
        HttpResponse<String> next = post("next", false);
        assertEquals(200, next.statusCode(), next.body());
        gateway.nextCompleted();
      }
    }
  }

  /**
   * What cannot be decoded is not passed through: a coding we have no decoder for (br, zstd,
   * compress, an unknown one, more than two layers), or gzip/deflate that does not decode (corrupt,
   * cut short, bytes after its end, a wrong CRC or length, not gzip at all). 502 {@code
   * upstream_error} as for any provider failure, nothing charged (a refusal), nothing of the body
   * in the answer, and the log line's reason says which.
   */
  @ParameterizedTest(name = "{0} stream={1}")
  @MethodSource("routes")
  void aRefusalWhoseCodingCannotBeUndoneIs502(ProviderType type, boolean stream) throws Exception {
    byte[] plain = REFUSAL.getBytes(StandardCharsets.UTF_8);
    byte[] gzipped = gzip(plain);
    byte[] corrupt = gzipped.clone();
    for (int i = 12; i < corrupt.length - 8; i++) {
      corrupt[i] ^= 0x55;
    }
    byte[] badCrc = gzipped.clone();
    badCrc[badCrc.length - 6] ^= 1;
    byte[] badLength = gzipped.clone();
    badLength[badLength.length - 3] ^= 1;
    byte[] zlibBadCheck = zlib(plain, false);
    zlibBadCheck[zlibBadCheck.length - 1] ^= 1;
    for (var sent : List.of(
        Map.entry(new Coded("content-encoding: br", gzipped), "unaccepted_coding"),
        Map.entry(new Coded("content-encoding: zstd", gzipped), "unaccepted_coding"),
        Map.entry(new Coded("content-encoding: compress", gzipped), "unaccepted_coding"),
        Map.entry(new Coded("content-encoding: gzip;q=1", gzipped), "unaccepted_coding"),
        Map.entry(new Coded("content-encoding: gzip, br", gzipped), "unaccepted_coding"),
        Map.entry(new Coded("content-encoding: gzip, gzip, gzip", gzip(gzip(gzipped))), "unaccepted_coding"),
        Map.entry(new Coded("content-encoding: gzip, gzip\r\ntransfer-encoding: gzip, chunked", gzip(gzip(gzipped))),
            "unaccepted_coding"),
        Map.entry(new Coded("content-encoding: gzip", corrupt), "malformed_coding"),
        Map.entry(new Coded("content-encoding: gzip", Arrays.copyOf(gzipped, gzipped.length - 12)), "malformed_coding"),
        Map.entry(new Coded("content-encoding: gzip", Arrays.copyOf(gzipped, gzipped.length - 3)), "malformed_coding"),
        Map.entry(new Coded("content-encoding: gzip", concat(gzipped, "xyz".getBytes(StandardCharsets.US_ASCII))),
            "malformed_coding"),
        Map.entry(new Coded("content-encoding: gzip", concat(gzipped, gzipped)), "malformed_coding"),
        Map.entry(new Coded("content-encoding: gzip", badCrc), "malformed_coding"),
        Map.entry(new Coded("content-encoding: gzip", badLength), "malformed_coding"),
        Map.entry(new Coded("content-encoding: gzip", plain), "malformed_coding"),
        Map.entry(new Coded("content-encoding: deflate", zlibBadCheck), "malformed_coding"),
        Map.entry(new Coded("content-encoding: deflate", concat(zlib(plain, false), new byte[] {0})), "malformed_coding"),
        Map.entry(new Coded("transfer-encoding: gzip, chunked", Arrays.copyOf(gzipped, 15)), "malformed_coding"))) {
      try (FakeProvider provider = provider(type, refusal(sent.getKey())); AllLogs logs = AllLogs.capture()) {
        HttpResponse<String> res = postFault(stream);
        assertEquals(502, res.statusCode(), sent.getKey() + ": " + res.body());
        assertEquals("upstream_error", TestProviders.JSON.readTree(res.body()).at("/error/code").asText());
        assertFalse(res.body().contains("Incorrect"), res.body());
        assertEquals(Optional.of(ParapetError.UPSTREAM_ERROR), gateway.nextCompleted().error());
        assertEquals(List.of(sent.getValue()), reasons(logs), sent.getKey().toString());
        HttpResponse<String> next = post("next", false);
        assertEquals(200, next.statusCode(), next.body());
        gateway.nextCompleted();
      }
    }
  }

  /**
   * A zip bomb: 1 GiB of zeros gzipped to ~1 MB (and that gzipped again to a few KB, two layers).
   * Decoding stops at the bound a refusal has (16 MiB) — 502 {@code upstream_error}, {@code
   * reason=answer_too_large} — and the gateway stays up for the next call.
   */
  @ParameterizedTest(name = "{0} stream={1}")
  @MethodSource("routes")
  void aRefusalThatInflatesPastTheBoundIs502(ProviderType type, boolean stream) throws Exception {
    for (Coded bomb : List.of(new Coded("content-encoding: gzip", Bomb.GZIP),
        new Coded("content-encoding: gzip\r\ntransfer-encoding: gzip, chunked", Bomb.TWICE))) {
      try (FakeProvider provider = provider(type, refusal(bomb)); AllLogs logs = AllLogs.capture()) {
        HttpResponse<String> res = postFault(stream);
        assertEquals(502, res.statusCode(), res.body());
        assertEquals("upstream_error", TestProviders.JSON.readTree(res.body()).at("/error/code").asText());
        assertEquals(Optional.of(ParapetError.UPSTREAM_ERROR), gateway.nextCompleted().error());
        assertEquals(List.of("answer_too_large"), reasons(logs), bomb.toString());
        HttpResponse<String> next = post("next", false);
        assertEquals(200, next.statusCode(), next.body());
        gateway.nextCompleted();
      }
    }
  }

  /**
   * A 2xx whole answer in a coding we did not accept (any: gzip we could decode, br we could not;
   * a content or a transfer coding) is no JSON we can read: 502 {@code upstream_error}, settled at
   * its worst case as an unreadable 2xx always was, and now refused at its head ({@code
   * reason=unaccepted_coding}), not once up to 16 MiB of it are read. The provider announces 16 MiB
   * and sends 1 KiB of it: the gateway hangs up on it without waiting for the rest.
   */
  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.EnumSource(value = ProviderType.class, names = {"OPENAI", "LOCAL"})
  void aCompressedWholeAnswerIsRefusedAtItsHead(ProviderType type) throws Exception {
    for (String coding : List.of("content-encoding: gzip", "content-encoding: br", "transfer-encoding: gzip")) {
      AtomicBoolean hungUpMidBody = new AtomicBoolean();
      CountDownLatch answered = new CountDownLatch(1);
      try (FakeProvider provider = provider(type, 2_000, (req, c) -> {
        try {
          c.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n" + coding + "\r\ncontent-length: "
              + BufferedAnswer.MAX_BODY_BYTES + "\r\n\r\n");
          c.out.write(Bomb.GZIP, 0, 1024);
          c.out.flush();
          hungUpMidBody.set(c.awaitPeerClose());
        } catch (IOException e) {
          hungUpMidBody.set(true); // the gateway closed (or reset) the connection while we wrote
        } finally {
          c.close = true;
          answered.countDown();
        }
      }); AllLogs logs = AllLogs.capture()) {
        int before = unreadable.get();
        HttpResponse<String> res = post("FAULT", false);
        assertEquals(502, res.statusCode(), coding + ": " + res.body());
        assertEquals("upstream_error", TestProviders.JSON.readTree(res.body()).at("/error/code").asText());
        assertEquals(Optional.of(ParapetError.UPSTREAM_ERROR), gateway.nextCompleted().error());
        assertEquals(List.of("unaccepted_coding"), reasons(logs), coding);
        assertEquals(before + 1, unreadable.get(), "settled at its worst case: " + coding);
        assertTrue(answered.await(10, TimeUnit.SECONDS));
        assertTrue(hungUpMidBody.get(), "the gateway closed the connection with 16 MiB announced and 1 KiB sent");
        assertNextCallIsItsOwn(provider);
      }
    }
  }

  /**
   * A 2xx stream in a coding we did not accept has no event we can read: 502 {@code
   * upstream_error}, settled at its worst case, as before; but told as what it is, at its head
   * ({@code reason=unaccepted_coding}, "a malformed answer"), not as a provider that closed the
   * connection before the answer was complete once the stream ended. The provider sends one
   * compressed event and waits: the gateway hangs up on it.
   */
  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.EnumSource(value = ProviderType.class, names = {"OPENAI", "LOCAL"})
  void aCompressedStreamIsRefusedAtItsHead(ProviderType type) throws Exception {
    for (String coding : List.of("content-encoding: gzip", "content-encoding: br", "transfer-encoding: gzip, chunked")) {
      AtomicBoolean hungUp = new AtomicBoolean();
      CountDownLatch answered = new CountDownLatch(1);
      byte[] event = gzip(CHUNK.getBytes(StandardCharsets.UTF_8));
      try (FakeProvider provider = provider(type, 2_000, (req, c) -> {
        try {
          c.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n" + coding
              + (coding.contains("chunked") ? "" : "\r\ntransfer-encoding: chunked") + "\r\n\r\n");
          c.out.write((Integer.toHexString(event.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
          c.out.write(event);
          c.out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
          c.out.flush();
          hungUp.set(c.awaitPeerClose());
        } catch (IOException e) {
          hungUp.set(true); // the gateway closed (or reset) the connection while we wrote
        } finally {
          c.close = true;
          answered.countDown();
        }
      }); AllLogs logs = AllLogs.capture()) {
        int before = unreadable.get();
        HttpResponse<String> res = post("FAULT", true);
        assertEquals(502, res.statusCode(), coding + ": " + res.body());
        assertEquals("upstream_error", TestProviders.JSON.readTree(res.body()).at("/error/code").asText());
        assertEquals(UpstreamFailure.PROTOCOL.message(),
            TestProviders.JSON.readTree(res.body()).at("/error/message").asText());
        assertEquals(Optional.of(ParapetError.UPSTREAM_ERROR), gateway.nextCompleted().error());
        assertEquals(List.of("unaccepted_coding"), reasons(logs), coding);
        assertEquals(before + 1, unreadable.get(), "settled at its worst case: " + coding);
        assertTrue(answered.await(10, TimeUnit.SECONDS));
        assertTrue(hungUp.get(), "the gateway closed the connection at the stream's head");
        assertNextCallIsItsOwn(provider);
      }
    }
  }

  /**
   * The same stream sent whole (the provider ends it): before, it was told as a provider that
   * "closed the connection before the answer was complete" ({@code reason=stream_incomplete}); it
   * is a malformed answer in a coding we did not accept, same code, same charge.
   */
  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.EnumSource(value = ProviderType.class, names = {"OPENAI", "LOCAL"})
  void aCompressedStreamSentWholeIsToldAsWhatItIs(ProviderType type) throws Exception {
    byte[] event = gzip(CHUNK.getBytes(StandardCharsets.UTF_8));
    try (FakeProvider provider = provider(type, (req, c) -> {
      c.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\ncontent-length: "
          + event.length + "\r\n\r\n");
      c.out.write(event);
      c.out.flush();
    }); AllLogs logs = AllLogs.capture()) {
      int before = unreadable.get();
      HttpResponse<String> res = post("FAULT", true);
      assertEquals(502, res.statusCode(), res.body());
      assertEquals(UpstreamFailure.PROTOCOL.message(), TestProviders.JSON.readTree(res.body()).at("/error/message").asText());
      assertEquals(Optional.of(ParapetError.UPSTREAM_ERROR), gateway.nextCompleted().error());
      assertEquals(List.of("unaccepted_coding"), reasons(logs));
      assertEquals(before + 1, unreadable.get(), "settled at its worst case");
      assertNextCallIsItsOwn(provider);
    }
  }

  /** 1 GiB of zeros, gzipped as it is generated (never held), once for every test. */
  static final class Bomb {
    static final long DECODED = 1L << 30;
    static final byte[] GZIP;
    static final byte[] TWICE;

    static {
      try {
        ByteArrayOutputStream out = new ByteArrayOutputStream(2 << 20);
        try (GZIPOutputStream g = new GZIPOutputStream(out, 1 << 16)) {
          byte[] zeros = new byte[1 << 20];
          for (long n = 0; n < DECODED; n += zeros.length) {
            g.write(zeros);
          }
        }
        GZIP = out.toByteArray();
        TWICE = gzip(GZIP);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /** The {@code reason=} words of the provider failures logged, in order. */
  static List<String> reasons(AllLogs logs) {
    return logs.messages().stream().filter(m -> m.contains(" reason="))
        .map(m -> m.substring(m.indexOf(" reason=") + " reason=".length())).toList();
  }

  /**
   * A whole answer dripped in pieces, each gap well inside timeout_ms, the whole well past it (and
   * well inside the 10 x timeout_ms that bounds a stream): the caller, who sees nothing of a whole
   * answer until its end, gets 504 once timeout_ms has passed, settled as a timeout (its worst case).
   */
  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.EnumSource(value = ProviderType.class, names = {"OPENAI", "LOCAL"})
  void aWholeAnswerDrippedPastTimeoutMsIs504(ProviderType type) throws Exception {
    try (FakeProvider provider = provider(type, 500, (req, c) -> {
      c.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + ANSWER.length() + "\r\n\r\n");
      int piece = ANSWER.length() / 20 + 1;
      for (int i = 0; i < ANSWER.length(); i += piece) {
        Thread.sleep(100); // the provider's pace, what is tested: 20 gaps of 100 ms, 2 s in all
        c.write(ANSWER.substring(i, Math.min(ANSWER.length(), i + piece)));
      }
    })) {
      HttpResponse<String> res = post("FAULT", false);
      assertEquals(504, res.statusCode(), res.body());
      assertEquals("upstream_timeout", TestProviders.JSON.readTree(res.body()).at("/error/code").asText());
      RequestCompleted done = gateway.nextCompleted();
      assertEquals(504, done.status());
      assertEquals(Optional.of(ParapetError.UPSTREAM_TIMEOUT), done.error());
      assertNextCallIsItsOwn(provider);
    }
  }

  /**
   * A server that keeps idle connections one second ({@code Keep-Alive: timeout=1}) could close this
   * one as the next call is written into it: the next call gets a connection of its own.
   */
  @ParameterizedTest(name = "{0} stream={1}")
  @MethodSource("routes")
  void aConnectionItsServerKeepsASecondIsNotReused(ProviderType type, boolean stream) throws Exception {
    try (FakeProvider provider = provider(type, (req, c) -> {
      if (stream) {
        c.sseHead("keep-alive: timeout=1");
        c.chunk(CHUNK);
        c.endChunks();
      } else {
        c.full(200, "application/json", ANSWER, "keep-alive: timeout=1");
      }
    })) {
      assertEquals(200, post("FAULT", stream).statusCode());
      assertEquals(200, gateway.nextCompleted().status());
      assertNextCallIsItsOwn(provider);
    }
  }

  /**
   * Of the provider's fields only the documented few reach the caller (README); one that would split
   * the caller's response (a bare CR, a NUL, another control character) or a head past the decoder's
   * bounds (a 1 MB field, thousands of fields) makes the answer a 502, and its connection is closed.
   */
  @ParameterizedTest(name = "{0} stream={1}")
  @MethodSource("routes")
  void providerFieldsReachTheCallerOnlyFromTheAllowList(ProviderType type, boolean stream) throws Exception {
    String[] extra = {"set-cookie: session=provider", "openai-organization: org-secret", "openai-project: proj_secret",
        "cf-ray: 8a1b2c", "server: vllm", "via: 1.1 lb", "x-request-id: prov-1", "retry-after: 2",
        "x-ratelimit-remaining-requests: 9", "link: </a>; rel=preload"};
    try (FakeProvider provider = provider(type, (req, c) -> {
      if (stream) {
        c.sseHead(extra);
        c.chunk(CHUNK);
        c.endChunks();
      } else {
        c.full(200, "application/json", ANSWER, extra);
      }
    })) {
      HttpResponse<String> res = post("FAULT", stream);
      assertEquals(200, res.statusCode(), res.body());
      java.util.Set<String> names = new java.util.TreeSet<>(res.headers().map().keySet());
      names.removeAll(List.of("content-length", "transfer-encoding", "content-type", "cache-control",
          "x-parapet-request-id", "x-request-id"));
      assertEquals(new java.util.TreeSet<>(List.of("retry-after", "x-ratelimit-remaining-requests",
          CallerHeaders.UPSTREAM_REQUEST_ID)), names);
      assertEquals("prov-1", res.headers().firstValue(CallerHeaders.UPSTREAM_REQUEST_ID).orElseThrow());
      gateway.nextCompleted();
    }
    for (String bad : List.of("x-request-id: a\rset-cookie: b=c", "x-request-id: a\u0000b", "retry-after: 1\u0001",
        "x-big: " + "a".repeat(1 << 20), ("x-h: v\r\n").repeat(5_000).trim())) {
      try (FakeProvider provider = provider(type, (req, c) -> c.full(200, "application/json", ANSWER, bad))) {
        HttpResponse<String> res = post("FAULT", stream);
        assertEquals(502, res.statusCode(), res.body());
        assertEquals("upstream_error", TestProviders.JSON.readTree(res.body()).at("/error/code").asText());
        gateway.nextCompleted();
        assertNextCallIsItsOwn(provider);
      }
    }
  }

  static byte[] gzip(byte[] b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(out)) {
      g.write(b);
    }
    return out.toByteArray();
  }

  /** HTTP's deflate: a zlib stream (RFC 1950), or the raw deflate some servers send under that name. */
  static byte[] zlib(byte[] b, boolean raw) {
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, raw);
    try {
      deflater.setInput(b);
      deflater.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      while (!deflater.finished()) {
        out.write(buf, 0, deflater.deflate(buf));
      }
      return out.toByteArray();
    } finally {
      deflater.end();
    }
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
