package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.store.GroupBy;
import dev.parapet.core.store.UsageRow;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.testing.LeakWatch;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The policy threads' line: however long it is, a large prompt waits its turn off the event loop
 * (the loop goes on serving), and a caller who leaves before its turn is taken out of the line.
 * A large prompt's pieces of work there are its body's parse, its count and (on these echo routes)
 * its echo, one after another.
 *
 * <p>Both policy threads are held busy by work of a channel of this test, and {@value #FILLERS}
 * more pieces wait behind them: more than the line held when it was bounded at 256, when the next
 * piece was done on its event loop instead.
 */
class PolicyLineTest {
  private static final int FILLERS = 300;
  private static final dev.parapet.core.config.Route UNUSED = SealedGateway.openAi("unused",
      java.net.URI.create("http://127.0.0.1:9/v1"), SealedGateway.policy(100, 10, "5", true, RedactionPolicy.OFF), List.of());

  @TempDir Path tmp;
  private EventLoopGroup group;
  private Channel holder;
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch busy = new CountDownLatch(2);
  private long completedBefore;

  @BeforeEach
  void holdBothPolicyThreads() throws Exception {
    group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    holder = new LocalChannel();
    group.register(holder).sync();
    completedBefore = PolicyThreads.completedTasks();
    for (int i = 0; i < 2; i++) {
      assertTrue(PolicyThreads.run(holder, () -> {
        busy.countDown();
        try {
          release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return null;
      }, (r, f) -> {}, () -> {}));
    }
    assertTrue(busy.await(10, TimeUnit.SECONDS), "both policy threads hold");
    for (int i = 0; i < FILLERS; i++) {
      assertTrue(PolicyThreads.run(holder, () -> null, (r, f) -> {}, () -> {}));
    }
    assertEquals(FILLERS, PolicyThreads.waiting());
  }

  @AfterEach
  void letGo() {
    release.countDown();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static Socket sendBig(int port, String text) throws Exception {
    return SealedGateway.postRaw(port, "/routes/big", SealedGateway.chat(text, 10));
  }

  private static String readAnswer(Socket s) throws Exception {
    InputStream in = s.getInputStream();
    byte[] buf = new byte[65_536];
    StringBuilder got = new StringBuilder();
    while (!got.toString().contains("\"usage\"") || !got.toString().endsWith("}")) {
      int n = in.read(buf);
      if (n < 0) {
        break;
      }
      got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
    }
    return got.toString();
  }

  private static void awaitWaiting(int expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (PolicyThreads.waiting() != expected && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(expected, PolicyThreads.waiting());
  }

  private SealedGateway gateway() {
    return new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
        SealedGateway.echo("big", SealedGateway.policy(1_000_000, 10, "5", true, RedactionPolicy.OFF)), UNUSED));
  }

  @Test
  void aLargePromptWaitsItsTurnOffTheLoopWhileTheLoopServesOthers() throws Exception {
    String text = SealedGateway.words(40_000);
    int prompt = TokenCounter.forModel(ProviderType.ECHO, "echo-2024-01-01").countMessages(List.of(text));
    SealedGateway sg = gateway();
    try (Gateway g = sg.start(); Socket big = sendBig(g.port(), text)) {
      awaitWaiting(FILLERS + 1); // its parse in the line, behind the fillers: not done on its loop
      big.setSoTimeout(300);
      assertThrows(SocketTimeoutException.class, () -> big.getInputStream().read(), "no answer before its turn");
      // Every loop still serves: small prompts are counted where they arrive.
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> small = post(g.port(), "/routes/big", SealedGateway.chat("hi " + i, 10));
        assertEquals(200, small.statusCode(), small.body());
      }
      release.countDown();
      big.setSoTimeout(10_000);
      String answer = readAnswer(big);
      assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
      assertTrue(answer.contains("\"prompt_tokens\":" + prompt), answer);
      awaitWaiting(0);
      // Its parse, its count, then its echo. The pool counts a task just after it hands the result
      // back, so the last may be counted after its answer arrived.
      long expected = completedBefore + 2 + FILLERS + 3;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (PolicyThreads.completedTasks() < expected && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(expected, PolicyThreads.completedTasks(), "its parse, its count and its echo");
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void callersWhoLeaveBeforeTheirTurnAreTakenOutOfTheLineAndTheirWorkIsNeverDone() throws Exception {
    String text = SealedGateway.words(40_000);
    SealedGateway sg = gateway();
    String answered;
    try (Gateway g = sg.start()) {
      List<Socket> left = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        left.add(sendBig(g.port(), text));
      }
      awaitWaiting(FILLERS + 5);
      for (Socket s : left) {
        s.close();
      }
      awaitWaiting(FILLERS); // out of the line as each connection closed, bodies released
      LeakWatch.assertNoLeaks();
      release.countDown();
      awaitWaiting(0);
      // The two holders and the fillers ran; the five prompts that lost their callers did not.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (PolicyThreads.completedTasks() < completedBefore + 2 + FILLERS && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(completedBefore + 2 + FILLERS, PolicyThreads.completedTasks());
      HttpResponse<String> ok = post(g.port(), "/routes/big", SealedGateway.chat("hi", 10));
      assertEquals(200, ok.statusCode(), ok.body());
      answered = ok.body();
    }
    // Each request ended once: a row for each of the five who left (while their bodies waited to
    // be parsed: no route decided yet, as for any request refused before routing), and one for the
    // answered call.
    sg.withStore(store -> {
      LocalDate today = LocalDate.now(ZoneOffset.UTC);
      List<UsageRow> rows = store.usage(today, today, GroupBy.ROUTE);
      assertEquals(2, rows.size(), rows.toString());
      UsageRow gone = rows.stream().filter(r -> r.group().equals("-")).findFirst().orElseThrow();
      UsageRow big = rows.stream().filter(r -> r.group().equals("big")).findFirst().orElseThrow();
      assertEquals(5, gone.requests(), rows.toString());
      assertEquals(0, gone.tokensIn() + gone.tokensOut() + gone.costNanoUsd(), rows.toString());
      assertEquals(1, big.requests(), rows.toString());
      assertTrue(answered.contains("\"completion_tokens\":" + big.tokensOut() + ","),
          "only the answered call has output: " + rows + " " + answered);
    });
    LeakWatch.assertNoLeaks();
  }
}
