package dev.parapet.runtime;

import static dev.parapet.runtime.testing.GatewayFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.TestConfigs;
import dev.parapet.runtime.upstream.FakeProvider;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * A caller who leaves while its call is in flight, on the production wiring, on both transports
 * (NIO has no read interest while a request is in flight unless the hang-up watch keeps one
 * read pending; epoll sees EPOLLRDHUP): whether it closes its socket (FIN), resets it or shuts
 * down only its sending side, before the answer started or after, whole or streamed, the provider
 * sees its connection closed at once (here: well before the route's 5 s timeout would close it),
 * the call is recorded as a caller gone (499) and settled by the rules for one, its hold is
 * released, and nothing more is written to the caller.
 */
class CallerHangUpEndToEndTest {
  private static final String WHOLE = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String STREAM = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String DELTA = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\","
      + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n";
  /** The remote route's worst case (prompt 8 + max_tokens_out 100 at $1/$1 per 1M), and what was seen of a stream. */
  private static final long WORST_CASE_NANO = 108_000;
  private static final long PROMPT_AND_ONE_DELTA_NANO = 9_000;
  private static final long PROMPTLY_MS = 2_000;

  @TempDir Path tmp;

  private enum Leave { FIN, RESET, HALF_CLOSE }

  private enum Answer { NOTHING_YET, WHOLE_STARTED, STREAM_STARTED }

  @AfterEach
  void transportBack() {
    Transport.nioForTest = false;
  }

  @ParameterizedTest(name = "nio={0}")
  @ValueSource(booleans = {true, false})
  void aCallerWhoLeavesMidCallEndsItsUpstreamRequestAtOnce(boolean nio) throws Exception {
    Transport.nioForTest = nio;
    LeakWatch.start();
    BlockingQueue<Long> upstreamClosedAt = new LinkedBlockingQueue<>();
    BlockingQueue<Answer> answers = new LinkedBlockingQueue<>();
    try (FakeProvider provider = new FakeProvider((r, c) -> {
      switch (answers.take()) {
        case WHOLE_STARTED -> // a long whole answer: its head and the first of 100 kB
            c.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{\"id\":");
        case STREAM_STARTED -> {
          c.sseHead();
          c.chunk(DELTA);
        }
        case NOTHING_YET -> { }
      }
      c.awaitPeerClose(); // the model generates until the gateway hangs up
      upstreamClosedAt.add(System.nanoTime());
      c.close = true;
    });
        TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), provider.baseUrl("http", "127.0.0.1")).boot()) {
      int rows = 0;
      for (Answer answer : Answer.values()) {
        for (Leave leave : Leave.values()) {
          String scenario = (nio ? "nio " : "native ") + answer + " " + leave;
          answers.add(answer);
          try (Socket caller = new Socket("127.0.0.1", fx.port())) {
            caller.setSoTimeout(10_000);
            caller.getOutputStream().write(post("/routes/remote", TestConfigs.TOKEN_A,
                answer == Answer.STREAM_STARTED ? STREAM : WHOLE).getBytes(StandardCharsets.ISO_8859_1));
            assertNotNull(provider.received.poll(10, TimeUnit.SECONDS), scenario + ": the call went out");
            if (answer == Answer.STREAM_STARTED) {
              RawHttp.readUntil(caller.getInputStream(), "\"hi\"");
            }
            long left = System.nanoTime();
            switch (leave) {
              case FIN -> caller.close();
              case RESET -> {
                caller.setSoLinger(true, 0);
                caller.close();
              }
              case HALF_CLOSE -> caller.shutdownOutput();
            }
            Long closedAt = upstreamClosedAt.poll(PROMPTLY_MS, TimeUnit.MILLISECONDS);
            assertNotNull(closedAt, scenario + ": the upstream connection was not closed within " + PROMPTLY_MS + " ms");
            if (leave == Leave.HALF_CLOSE && answer == Answer.NOTHING_YET) {
              assertEquals(-1, caller.getInputStream().read(), scenario + ": nothing more is written to the caller");
            }
            assertTrue(closedAt - left < TimeUnit.MILLISECONDS.toNanos(PROMPTLY_MS), scenario);
          }
          rows++;
          long cost = answer == Answer.STREAM_STARTED ? PROMPT_AND_ONE_DELTA_NANO : WORST_CASE_NANO;
          assertEquals("499 null " + cost + " 0", lastRow(fx, rows), scenario + ": row status, code, cost, open holds");
        }
      }
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A caller who sends a whole head and leaves mid-body: its request had a request id, but never got
   * whole, so nothing behind the body's aggregation knew of it and it went unrecorded. It is one
   * request like any other: one row (499, no route: it never got that far, nothing held or sent)
   * and one access line.
   */
  @ParameterizedTest(name = "nio={0}")
  @ValueSource(booleans = {true, false})
  void aCallerWhoLeavesMidBodyIsOneRowAndOneAccessLine(boolean nio) throws Exception {
    Transport.nioForTest = nio;
    aBodyCutShortIsOneRowAndOneAccessLine(Optional.empty(), 499);
  }

  /**
   * A body that stops arriving while its caller stays connected is closed by the idle timeout, from
   * our side: that is no caller who left. Its row and access line say 408, as nginx logs a client
   * body timeout (and as a head that timed out is logged), not 499; nothing is answered, as for such
   * a head, and nothing was held or sent.
   */
  @ParameterizedTest(name = "nio={0}")
  @ValueSource(booleans = {true, false})
  void aBodyStalledPastTheIdleTimeoutIsA408RowNotACallerWhoLeft(boolean nio) throws Exception {
    Transport.nioForTest = nio;
    // Idle well inside the body-rate grace (5 s), so that it is the idle timeout that closes.
    aBodyCutShortIsOneRowAndOneAccessLine(Optional.of("300"), 408);
  }

  /**
   * Sends a whole head and all but the last bytes of its body; with {@code idleTimeoutMs} the caller
   * stays until the gateway closes, unanswered, else it leaves at once. Then: one row of {@code
   * status}, no route, nothing charged or held; one access line; nothing sent upstream.
   */
  private void aBodyCutShortIsOneRowAndOneAccessLine(Optional<String> idleTimeoutMs, int status) throws Exception {
    LeakWatch.start();
    Logger accessLog = (Logger) LoggerFactory.getLogger("parapet.access");
    ListAppender<ILoggingEvent> access = new ListAppender<>();
    access.start();
    accessLog.addAppender(access);
    try (FakeProvider provider = new FakeProvider((r, c) -> c.close = true);
        TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), provider.baseUrl("http", "127.0.0.1"))) {
      idleTimeoutMs.ifPresent(ms -> fx.env.put("PARAPET_IDLE_TIMEOUT_MS", ms));
      fx.boot();
      String request = post("/routes/remote", TestConfigs.TOKEN_A, WHOLE);
      try (Socket caller = new Socket("127.0.0.1", fx.port())) {
        caller.setSoTimeout(10_000);
        caller.getOutputStream().write(request.substring(0, request.length() - 10).getBytes(StandardCharsets.ISO_8859_1));
        caller.getOutputStream().flush();
        if (idleTimeoutMs.isPresent()) {
          assertEquals(-1, caller.getInputStream().read(), "closed by the gateway, unanswered");
        }
      }
      assertEquals(status + " null 0 0", lastRow(fx, 1), "row status, code, cost, open holds");
      List<String> lines = access.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
      assertEquals(1, lines.size(), lines.toString());
      assertTrue(lines.get(0).startsWith("POST /routes/{route} " + status + " code=- route=- service=svc-a "),
          lines.toString());
      assertEquals(0, provider.connections.get(), "nothing was sent upstream");
    } finally {
      accessLog.detachAppender(access);
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * The read kept pending for a hang-up brings the caller's next requests instead when it pipelines
   * them mid-call: they are held, not decoded, until the call before completes, then answered one
   * at a time, in order; bytes held when the caller leaves are released.
   */
  @ParameterizedTest(name = "nio={0}")
  @ValueSource(booleans = {true, false})
  void requestsPipelinedMidCallWaitTheirTurn(boolean nio) throws Exception {
    Transport.nioForTest = nio;
    try (GatewayFixture fx = new GatewayFixture()) {
      fx.terminal.delayMs = 150;
      String chat = post("/routes/summarizer", TestConfigs.TOKEN_A, WHOLE);
      try (RawHttp c = fx.raw()) {
        c.send(chat);
        assertNotNull(fx.terminal.received.poll(5, TimeUnit.SECONDS), "the first is in flight");
        int half = chat.length() / 2;
        c.send(chat.substring(0, half)); // mid-call, in pieces
        Thread.sleep(20);
        c.send(chat.substring(half) + chat);
        for (int i = 1; i <= 3; i++) {
          RawHttp.Response r = c.read();
          assertEquals(200, r.status(), "answer " + i);
          assertTrue(r.body().contains("\"n\":" + i), r.body());
        }
      }
      try (RawHttp c = fx.raw()) { // one in flight, the next one's head held, then the caller leaves
        c.send(chat);
        assertNotNull(fx.terminal.received.poll(5, TimeUnit.SECONDS));
        c.send(chat.substring(0, chat.length() / 2));
      }
    }
    LeakWatch.assertNoLeaks();
  }

  /** The newest request row once there are {@code rows}: status, error code, cost; and the holds still open. */
  private static String lastRow(TelemetryFixture fx, int rows) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      assertTrue(fx.store().flush(Duration.ofSeconds(10)));
      try (Connection c = fx.openStoreWithKey(); Statement st = c.createStatement()) {
        ResultSet count = st.executeQuery("SELECT count(*) FROM journal WHERE kind = 'request'");
        count.next();
        int written = count.getInt(1);
        // The row is queued a moment before its settlement (BudgetHandler#settle): a flush between
        // the two, on a busy machine, sees the row with its hold still open. Wait for both.
        ResultSet holds = st.executeQuery("SELECT count(*) FROM open_hold");
        holds.next();
        int open = holds.getInt(1);
        if (written >= rows && open == 0 || System.nanoTime() > until) {
          ResultSet row = st.executeQuery(
              "SELECT status, error_code, cost_nano FROM journal WHERE kind = 'request' ORDER BY seq DESC LIMIT 1");
          String last = row.next() ? row.getInt(1) + " " + row.getString(2) + " " + row.getLong(3) : "no row";
          return last + " " + open;
        }
      }
      Thread.sleep(20);
    }
  }
}
