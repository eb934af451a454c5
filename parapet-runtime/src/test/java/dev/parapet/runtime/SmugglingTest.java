package dev.parapet.runtime;

import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.RawHttp;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests whose body framing could be read two ways (RFC 9112 §6.3, §11.2): each is answered 400
 * and the connection closed, and nothing reaches the terminal handler — including the request a
 * smuggler hides in the body.
 */
class SmugglingTest {
  private static final String BODY = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String HIDDEN = "POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer "
      + TOKEN_A + "\r\nContent-Length: " + BODY.length() + "\r\n\r\n" + BODY;
  private static final String HEAD = "POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer "
      + TOKEN_A + "\r\n";
  private static GatewayFixture fx;

  @BeforeAll
  static void start() throws Exception {
    fx = new GatewayFixture();
  }

  @AfterAll
  static void stop() throws Exception {
    fx.close();
    dev.parapet.runtime.testing.LeakWatch.assertNoLeaks();
  }

  static Stream<Arguments> ambiguous() {
    String chunkedHidden = "0\r\n\r\n" + HIDDEN;
    return Stream.of(
        Arguments.of("CL+TE", HEAD + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedHidden),
        Arguments.of("TE+CL", HEAD + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" + chunkedHidden),
        Arguments.of("two CL, same", HEAD + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello" + HIDDEN),
        Arguments.of("two CL, different", HEAD + "Content-Length: 5\r\nContent-Length: 0\r\n\r\nhello" + HIDDEN),
        Arguments.of("CL list", HEAD + "Content-Length: 5, 5\r\n\r\nhello" + HIDDEN),
        Arguments.of("xchunked", HEAD + "Transfer-Encoding: xchunked\r\n\r\n" + chunkedHidden),
        Arguments.of("two spaces chunked", HEAD + "Transfer-Encoding:  chunked\r\n\r\n" + chunkedHidden),
        Arguments.of("tab chunked", HEAD + "Transfer-Encoding:\tchunked\r\n\r\n" + chunkedHidden),
        Arguments.of("chunked trailing space", HEAD + "Transfer-Encoding: chunked \r\n\r\n" + chunkedHidden),
        Arguments.of("gzip, chunked", HEAD + "Transfer-Encoding: gzip, chunked\r\n\r\n" + chunkedHidden),
        Arguments.of("chunked, chunked", HEAD + "Transfer-Encoding: chunked, chunked\r\n\r\n" + chunkedHidden),
        Arguments.of("two TE", HEAD + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedHidden),
        Arguments.of("space before colon", HEAD + "Transfer-Encoding : chunked\r\n\r\n" + chunkedHidden),
        Arguments.of("obs-fold TE", HEAD + "Transfer-Encoding:\r\n chunked\r\n\r\n" + chunkedHidden),
        Arguments.of("obs-fold other", HEAD + "X-Note: a\r\n b\r\nContent-Length: 0\r\n\r\n" + HIDDEN),
        Arguments.of("folded TE line", HEAD + "X-Note: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n" + HIDDEN),
        Arguments.of("ws before first header", "POST /routes/summarizer HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: p\r\n\r\n" + chunkedHidden),
        Arguments.of("bare LF", "POST /routes/summarizer HTTP/1.1\nHost: p\nContent-Length: 0\n\n" + HIDDEN),
        Arguments.of("bare LF in a header", HEAD + "X-A: b\nContent-Length: 0\r\n\r\n" + HIDDEN),
        Arguments.of("bare CR", HEAD + "X-A: b\rContent-Length: 0\r\n\r\n" + HIDDEN),
        Arguments.of("TE on HTTP/1.0", "POST /routes/summarizer HTTP/1.0\r\nHost: p\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedHidden),
        Arguments.of("bad CL", HEAD + "Content-Length: +5\r\n\r\nhello" + HIDDEN),
        Arguments.of("no Host", "POST /routes/summarizer HTTP/1.1\r\nContent-Length: 0\r\n\r\n" + HIDDEN),
        Arguments.of("two Hosts", HEAD + "Host: q\r\nContent-Length: 0\r\n\r\n" + HIDDEN),
        Arguments.of("lower-case HTTP-name", "POST /routes/summarizer http/1.1\r\nHost: p\r\nContent-Length: 0\r\n\r\n" + HIDDEN),
        Arguments.of("mixed-case HTTP-name", "POST /routes/summarizer Http/1.1\r\nHost: p\r\nContent-Length: 0\r\n\r\n" + HIDDEN),
        Arguments.of("HTTP/9.9", "POST /routes/summarizer HTTP/9.9\r\nHost: p\r\nContent-Length: 0\r\n\r\n" + HIDDEN),
        Arguments.of("bad chunk size", HEAD + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n" + HIDDEN),
        // a chunk-size line is not a request line: 400, not 414 uri_too_long
        Arguments.of("chunk extension past the line limit", HEAD + "Transfer-Encoding: chunked\r\n\r\n3;"
            + "x".repeat(5000) + "\r\nabc\r\n0\r\n\r\n" + HIDDEN));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ambiguous")
  void refusedWith400AndClosed(String name, String raw) throws Exception {
    fx.terminal.received.clear();
    try (RawHttp c = fx.raw()) {
      c.send(raw);
      RawHttp.Response r = c.read();
      assertEquals(400, r.status(), name + ": " + r.body());
      assertTrue(r.body().contains("\"invalid_request\""), r.body());
      assertNotNull(r.header("x-parapet-request-id"));
      assertTrue(c.closedByServer(), name + ": connection left open");
    }
    Thread.sleep(20);
    assertTrue(fx.terminal.received.isEmpty(), name + ": reached the terminal handler");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void plainFramingStillWorks(String name, String raw) throws Exception {
    try (RawHttp c = fx.raw()) {
      c.send(raw);
      assertEquals(200, c.read().status(), name);
    }
  }

  static Stream<Arguments> accepted() {
    String chunked = Integer.toHexString(BODY.length()) + "\r\n" + BODY + "\r\n0\r\n\r\n";
    return Stream.of(
        Arguments.of("chunked", HEAD + "Transfer-Encoding: chunked\r\n\r\n" + chunked),
        Arguments.of("Chunked, no space", HEAD + "Transfer-Encoding:Chunked\r\n\r\n" + chunked),
        Arguments.of("leading CRLF", "\r\n" + HIDDEN),
        Arguments.of("HTTP/1.0 with CL", "POST /routes/summarizer HTTP/1.0\r\nAuthorization: Bearer " + TOKEN_A
            + "\r\nContent-Length: " + BODY.length() + "\r\n\r\n" + BODY));
  }
}
