package dev.parapet.runtime;

import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static dev.parapet.runtime.testing.TestConfigs.TOKEN_C;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Request heads modelled on the test classes of aws/http-desync-guardian (its "severe" and
 * "ambiguous" tiers; our own table, written for this gateway). Each head is sent twice, followed
 * once by a hidden request right after the head and once by {@code 0\r\n\r\n} then the hidden
 * request — so whichever way a parser reads the framing (no body, chunked, the declared length),
 * one of the two puts the hidden request where a desynchronised parser would dispatch it.
 *
 * <ul>
 *   <li><b>severe</b>: answered 400 and the connection closed; the terminal sees nothing;
 *   <li><b>ambiguous</b>: either refused the same way, or answered — but the hidden request (to
 *       another route, under another service's token) never reaches the terminal.
 * </ul>
 *
 * <p>The hidden request is detected deterministically: if the connection is still open after the
 * first answer, a health check is pipelined behind it and every answer up to the health check is
 * read, so anything the gateway dispatched from the hidden bytes has been recorded by then.
 */
class DesyncTableTest {
  private static final String BODY = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  /** To route writer as svc-c: if the terminal ever records route writer, framing was misread. */
  private static final String HIDDEN = "POST /routes/writer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_C
      + "\r\nContent-Length: " + BODY.length() + "\r\n\r\n" + BODY;
  private static GatewayFixture fx;

  enum Tier { SEVERE, AMBIGUOUS }

  @BeforeAll
  static void start() throws Exception {
    fx = new GatewayFixture();
  }

  @AfterAll
  static void stop() throws Exception {
    fx.close();
    LeakWatch.assertNoLeaks();
  }

  private static Arguments severe(String name, String... headerLines) {
    return Arguments.of(Tier.SEVERE, name, "POST /routes/summarizer HTTP/1.1", List.of(headerLines));
  }

  private static Arguments ambiguous(String name, String... headerLines) {
    return Arguments.of(Tier.AMBIGUOUS, name, "POST /routes/summarizer HTTP/1.1", List.of(headerLines));
  }

  private static Arguments ambiguousLine(String name, String requestLine, String... headerLines) {
    return Arguments.of(Tier.AMBIGUOUS, name, requestLine, List.of(headerLines));
  }

  private static Arguments severeLine(String name, String requestLine, String... headerLines) {
    return Arguments.of(Tier.SEVERE, name, requestLine, List.of(headerLines));
  }

  /** {len} in a header line is replaced by the length of what follows the head. */
  static Stream<Arguments> table() {
    List<Arguments> base = List.of(
        // severe: the framing itself is contradictory or unparseable
        severe("two Content-Length, different", "Content-Length: {len}", "Content-Length: 1"),
        severe("Content-Length list", "Content-Length: {len},{len}"),
        severe("Content-Length with a space inside", "Content-Length: {len} {len}"),
        severe("Content-Length with a dot", "Content-Length: 1000.1000"),
        severe("Content-Length past 64 bits", "Content-Length: 18446744073709551616"),
        severe("Content-Length with a control byte", "Content-Length: {len}\u0011"),
        severe("Transfer-Encoding xchunked", "Transfer-Encoding: xchunked"),
        severe("Transfer-Encoding with a control byte", "Transfer-Encoding: chunked\u0011"),
        severe("Transfer-Encoding twice", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"),
        severe("Transfer-Encoding chunked,chunked", "Transfer-Encoding: chunked,chunked"),
        severe("folded value hiding a Transfer-Encoding", "Content-Length: {len}",
            "X-Note: a\r\n Transfer-Encoding: chunked"),
        severe("bare LF inside a value", "Content-Length: {len}", "X-Note: a\n Transfer-Encoding: chunked"),
        severe("bare CR inside a value", "Content-Length: {len}", "X-Note: a\rContent-Length: 0"),
        severe("CR at the end of a name", "X-Bad\r: 1", "Content-Length: {len}"),
        severe("NUL in a name", "X-Bad\u0000: 1", "Content-Length: {len}"),
        severe("NUL in a value", "X-Bad: a\u0000Content-Length: 0", "Content-Length: {len}"),
        severe("NUL at the start of a line", "\u0000X-Bad: a", "Content-Length: {len}"),
        severe("NUL at the start of a value", "X-Bad: \u0000a", "Content-Length: {len}"),
        severe("NUL at the end of a value", "X-Bad: a\u0000", "Content-Length: {len}"),
        severe("space before the colon, then Content-Length", "Content-Length : 1", "Content-Length: {len}"),
        severe("space before the colon, then Transfer-Encoding", "Transfer-Encoding : chunked", "Transfer-Encoding: chunked"),
        severe("whitespace before a Content-Length", "Host2: x", " Content-Length: 1", "Content-Length: {len}"),
        severeLine("control byte in the method", "PO\u0001ST /routes/summarizer HTTP/1.1", "Content-Length: {len}"),
        // ambiguous: a parser could see a body where another sees none, or another length
        ambiguous("trailing space in the Transfer-Encoding name", "Transfer-Encoding : chunked"),
        ambiguous("trailing tab in the Transfer-Encoding name", "Transfer-Encoding\t: chunked"),
        ambiguous("control byte before Transfer-Encoding", "\u0001Transfer-Encoding: chunked"),
        ambiguous("two control bytes before Transfer-Encoding", "\u0001\u0001Transfer-Encoding: chunked"),
        ambiguous("control byte before Content-Length", "\u0001Content-Length: {len}"),
        ambiguous("space inside the Transfer-Encoding name", "Transfer- Encoding: chunked"),
        ambiguous("Transfer_Encoding", "Transfer_Encoding: chunked"),
        ambiguous("Content_Length", "Content_Length: {len}"),
        ambiguous("Transfer---Encoding", "Transfer---Encoding: chunked"),
        ambiguous("Transfer___Encoding", "Transfer___Encoding: chunked"),
        ambiguous("long s in Transfer-Encoding", "Tran\u017Ffer-Encoding: chunked"),
        ambiguous("dotless i in Transfer-Encoding", "Transfer-Encod\u0131ng: chunked"),
        ambiguous("non-breaking space before Transfer-Encoding", "\u00A0Transfer-Encoding: chunked"),
        ambiguous("non-breaking space after Content-Length", "Content-Length\u00A0: {len}"),
        ambiguous("horizontal bar in Transfer-Encoding", "Transfer\u2015Encoding: chunked"),
        ambiguous("non-ASCII byte after Transfer-Encoding", "Transfer-Encoding\u0088: chunked"),
        ambiguous("non-ASCII byte before Content-Length", "\u00A0Content-Length: {len}"),
        ambiguous("duplicate Content-Length, same", "Content-Length: {len}", "Content-Length: {len}"),
        ambiguous("Transfer-Encoding chunked and Content-Length", "Transfer-Encoding: chunked", "Content-Length: {len}"),
        ambiguous("Transfer-Encoding gzip and Content-Length", "Transfer-Encoding: gzip", "Content-Length: {len}"),
        ambiguous("Transfer-Encoding name with a trailing space, and Content-Length",
            "Transfer-Encoding : chunked", "Content-Length: {len}"),
        ambiguous("empty header name", ": chunked", "Content-Length: {len}"),
        ambiguous("header name starting with a colon", ":X:Transfer-Encoding: chunked", "Content-Length: {len}"),
        ambiguous("whitespace-only header name", "   \t\t  : chunked", "Content-Length: {len}"),
        ambiguousLine("GET with a Content-Length body", "GET /v1/models HTTP/1.1", "Content-Length: {len}"),
        ambiguousLine("GET with a chunked body", "GET /v1/models HTTP/1.1", "Transfer-Encoding: chunked"),
        ambiguousLine("HEAD with a Content-Length body", "HEAD /v1/models HTTP/1.1", "Content-Length: {len}"),
        ambiguousLine("HEAD with a chunked body", "HEAD /v1/models HTTP/1.1", "Transfer-Encoding: chunked"),
        ambiguousLine("Transfer-Encoding on HTTP/1.0", "POST /routes/summarizer HTTP/1.0", "Transfer-Encoding: chunked"),
        ambiguousLine("Transfer-Encoding on HTTP/0.9", "POST /routes/summarizer HTTP/0.9", "Transfer-Encoding: chunked"),
        ambiguousLine("Content-Length on HTTP/0.9", "POST /routes/summarizer HTTP/0.9", "Content-Length: {len}"),
        ambiguousLine("no version, Transfer-Encoding", "POST /routes/summarizer", "Transfer-Encoding: chunked"),
        ambiguousLine("no version, Content-Length", "POST /routes/summarizer", "Content-Length: {len}"));
    List<Arguments> out = new ArrayList<>();
    for (Arguments a : base) {
      Object[] v = a.get();
      out.add(Arguments.of(v[0], v[1] + " / hidden request next", v[2], v[3], HIDDEN));
      out.add(Arguments.of(v[0], v[1] + " / empty chunk, then hidden request", v[2], v[3], "0\r\n\r\n" + HIDDEN));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("table")
  void theHiddenRequestNeverReachesTheTerminal(Tier tier, String name, String requestLine, List<String> lines,
      String after) throws Exception {
    fx.terminal.received.clear();
    StringBuilder head = new StringBuilder(requestLine).append("\r\nHost: p\r\nAuthorization: Bearer ")
        .append(TOKEN_A).append("\r\n");
    for (String line : lines) {
      head.append(line.replace("{len}", String.valueOf(after.length()))).append("\r\n");
    }
    byte[] raw = (head + "\r\n" + after).getBytes(StandardCharsets.UTF_8);
    List<Integer> statuses = new ArrayList<>();
    try (RawHttp c = fx.raw()) {
      c.send(raw);
      RawHttp.Response first = c.read(requestLine.startsWith("HEAD"));
      statuses.add(first.status());
      if (tier == Tier.SEVERE) {
        assertEquals(400, first.status(), name + ": " + first.body());
        assertTrue(c.closedByServer(), name + ": connection left open");
      } else {
        // a 400 for the body (no JSON) keeps the connection: what follows must still not be the hidden request
        if ("close".equalsIgnoreCase(first.header("connection"))) {
          assertTrue(c.closedByServer(), name + ": said close, left open");
        } else {
          drainThroughHealthCheck(c, statuses);
        }
      }
    }
    List<String> routes = fx.terminal.received.stream().map(r -> r.route().name()).toList();
    assertTrue(!routes.contains("writer"), name + ": the hidden request was dispatched; answers " + statuses);
    assertTrue(routes.size() <= 1, name + ": " + routes);
  }

  /**
   * Pipelines a health check and reads answers until its own (or until the server closes).
   * Anything dispatched from the hidden bytes is answered before it.
   */
  private static void drainThroughHealthCheck(RawHttp c, List<Integer> statuses) {
    try {
      c.send("GET /_parapet/health HTTP/1.1\r\nHost: p\r\n\r\n");
      for (int i = 0; i < 4; i++) {
        RawHttp.Response r = c.read();
        statuses.add(r.status());
        if (r.status() == 200 && r.body().contains("config_sha256")) {
          return;
        }
      }
      throw new AssertionError("no health answer after " + statuses);
    } catch (IOException closedFirst) {
      // closed before the health check: nothing after the first answer was dispatched
    }
  }
}
