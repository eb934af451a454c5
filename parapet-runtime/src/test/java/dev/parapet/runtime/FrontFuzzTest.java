package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.parapet.runtime.boot.Settings;
import dev.parapet.runtime.limits.ConnectionLimitHandler;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RecordingTerminal;
import dev.parapet.runtime.testing.TestConfigs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import dev.parapet.runtime.testing.GatewayFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Arbitrary bytes, in arbitrary pieces, into the real caller pipeline ({@link GatewayInitializer}
 * on an {@link EmbeddedChannel}) with a recording terminal. For every input:
 *
 * <ul>
 *   <li>no exception escapes: nothing reaches the channel's tail and the last-resort failure
 *       handler is never needed (its warnings are captured);
 *   <li>a request reaches the terminal only with a bearer token of its own: the terminal sees at
 *       most as many requests as the input holds valid tokens — one input with one token gives at
 *       most one dispatched request, whatever its framing (the smuggling seeds, whose hidden
 *       request carries the only token, must dispatch nothing: {@link SmugglingTest} pins that);
 *   <li>every dispatched request is answered, and answers never outnumber the requests the
 *       codec could have read;
 *   <li>every buffer is released (paranoid leak detection, checked after the class).
 * </ul>
 *
 * <p>Seeds replay in the normal build; {@code JAZZER_FUZZ=1 ./mvnw -pl parapet-runtime test
 * -Dtest=FrontFuzzTest} fuzzes.
 */
class FrontFuzzTest {
  private static final Logger FAILURES = (Logger) LoggerFactory.getLogger("parapet.failure");
  private static final ListAppender<ILoggingEvent> FAILURE_LOG = new ListAppender<>();
  private static final List<byte[]> TOKENS = List.of(TestConfigs.TOKEN_A, TestConfigs.TOKEN_B, TestConfigs.TOKEN_C)
      .stream().map(t -> t.getBytes(StandardCharsets.US_ASCII)).toList();

  static {
    FAILURE_LOG.start();
    FAILURES.addAppender(FAILURE_LOG);
    LeakWatch.start();
  }

  @AfterAll
  static void noLeaks() throws InterruptedException {
    LeakWatch.assertNoLeaks();
  }

  @FuzzTest
  void anyBytesAtMostTheirRequestsAndNoLeak(FuzzedDataProvider data) {
    int pieces = data.consumeInt(1, 6);
    int[] sizes = new int[pieces];
    for (int i = 0; i < pieces; i++) {
      sizes[i] = data.consumeInt(1, 512);
    }
    run(data.consumeRemainingAsBytes(), sizes);
  }

  /** The harness reaches the terminal: one request in pieces, then two pipelined. */
  @Test
  void harnessDispatchesWhatIsValid() {
    String one = GatewayFixture.post("/routes/summarizer", TestConfigs.TOKEN_A,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertEquals(1, run(one.getBytes(StandardCharsets.ISO_8859_1), new int[] {7, 1, 30}));
    assertEquals(2, run((one + one).getBytes(StandardCharsets.ISO_8859_1), new int[] {512}));
  }

  /** Runs one input through a fresh pipeline; returns how many requests were dispatched. */
  private static int run(byte[] input, int[] sizes) {
    int pieces = sizes.length;
    RecordingTerminal terminal = new RecordingTerminal();
    AtomicInteger inFlight = new AtomicInteger();
    Settings settings = Settings.defaults().withMaxBodyBytes(64 << 10);
    GatewayInitializer init = new GatewayInitializer(settings, TestConfigs.front(),
        new ConnectionLimitHandler(16), inFlight, () -> false, List.of(), terminal::newHandler);
    synchronized (FAILURE_LOG) {
      FAILURE_LOG.list.clear();
    }
    EmbeddedChannel ch = new EmbeddedChannel(init);
    List<ByteBuf> written = new ArrayList<>();
    try {
      int at = 0;
      for (int i = 0; at < input.length && ch.isOpen(); i = (i + 1) % pieces) {
        int n = Math.min(sizes[i], input.length - at);
        ch.writeInbound(Unpooled.copiedBuffer(input, at, n));
        at += n;
        ch.runPendingTasks();
        drain(ch, written);
      }
      ch.checkException();
    } catch (RuntimeException e) {
      fail("an exception reached the tail: " + e, e);
    } finally {
      ch.finishAndReleaseAll();
    }
    drain(ch, written);
    String answers = concatAndRelease(written);

    int dispatched = terminal.received.size();
    int tokens = TOKENS.stream().mapToInt(t -> occurrences(input, t)).sum();
    assertTrue(dispatched <= tokens, dispatched + " requests dispatched for " + tokens + " tokens");
    int statusLines = occurrences(answers.getBytes(StandardCharsets.ISO_8859_1),
        "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII));
    assertTrue(statusLines >= dispatched, dispatched + " dispatched, " + statusLines + " answered");
    assertEquals(0, inFlight.get(), "a dispatched request never completed");
    synchronized (FAILURE_LOG) {
      List<String> warnings = FAILURE_LOG.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
          .map(ILoggingEvent::getFormattedMessage).toList();
      assertEquals(List.of(), warnings, "the last-resort failure handler was needed");
    }
    return dispatched;
  }

  private static void drain(EmbeddedChannel ch, List<ByteBuf> into) {
    for (Object o; (o = ch.readOutbound()) != null; ) {
      if (o instanceof ByteBuf b) {
        into.add(b);
      } else {
        io.netty.util.ReferenceCountUtil.release(o);
        fail("a non-buffer left the pipeline: " + o.getClass());
      }
    }
  }

  private static String concatAndRelease(List<ByteBuf> bufs) {
    StringBuilder s = new StringBuilder();
    for (ByteBuf b : bufs) {
      s.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    bufs.clear();
    return s.toString();
  }

  private static int occurrences(byte[] hay, byte[] needle) {
    int count = 0;
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      count++;
    }
    return count;
  }
}
