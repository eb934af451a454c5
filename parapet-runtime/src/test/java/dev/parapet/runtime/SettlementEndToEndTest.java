package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.chat;
import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.store.UsageRow;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.testing.HeldWork;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.TestConfigs;
import dev.parapet.runtime.upstream.FakeProvider;
import dev.parapet.runtime.upstream.OffLoopHooks;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each way a forwarded call can end is charged (see the budget's Settlement): a timeout at
 * its worst case, a provider refusal or an unreachable provider nothing, a caller who leaves
 * mid-stream what the stream carried until then — never zero, also when it leaves while a large
 * event is being checked off the loop.
 */
class SettlementEndToEndTest {
  private static final TokenCounter COUNTER = TokenCounter.forModel(ProviderType.OPENAI, SealedGateway.MODEL);
  private static final int PROMPT = COUNTER.countMessages(List.of("hi"));
  private static final int MAX_OUT = 50;

  @TempDir Path tmp;

  private SealedGateway gateway(URI base, int timeoutMs) {
    Route route = SealedGateway.openAi("remote", base,
        SealedGateway.policy(6000, MAX_OUT, "5", true, RedactionPolicy.OFF), List.of(), timeoutMs);
    return new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(route));
  }

  @Test
  void anUpstreamTimeoutSettlesAtTheWorstCase() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (MockWebServer provider = new MockWebServer()) {
      provider.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
          release.await(20, TimeUnit.SECONDS);
          return new MockResponse.Builder().code(500).build();
        }
      });
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri(), 300);
      try (Gateway g = sg.start()) {
        assertEquals(504, post(g.port(), "/routes/remote", chat("hi", MAX_OUT)).statusCode());
      } finally {
        release.countDown();
      }
      assertEquals((PROMPT + MAX_OUT) * 1000L, SealedGateway.route(sg.spendToday(), "remote"));
      UsageRow row = sg.usageToday("remote");
      assertEquals(List.of(1L, (long) PROMPT, 0L), List.of(row.requests(), row.tokensIn(), row.tokensOut()));
      assertRowsAddUpToSpend(sg, "remote");
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A caller who hangs up before a whole answer arrives: the provider may still generate and bill
   * every token it was allowed, and Parapet saw none of it. Charging the prompt alone let a caller
   * who always hangs up spend past any cap; it is charged the worst case, as a timeout is.
   */
  @Test
  void aCallerWhoLeavesBeforeAWholeAnswerIsChargedTheWorstCase() throws Exception {
    CountDownLatch received = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (MockWebServer provider = new MockWebServer()) {
      provider.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
          received.countDown();
          release.await(20, TimeUnit.SECONDS);
          return new MockResponse.Builder().addHeader("Content-Type", "application/json")
              .body(SealedGateway.completion(SealedGateway.MODEL, "late", PROMPT, MAX_OUT)).build();
        }
      });
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri(), 10_000);
      try (Gateway g = sg.start()) {
        Socket caller = SealedGateway.postRaw(g.port(), "/routes/remote", chat("hi", MAX_OUT));
        assertTrue(received.await(10, TimeUnit.SECONDS), "the call was forwarded");
        caller.setSoLinger(true, 0);
        caller.close(); // a reset, seen at once
        Thread.sleep(300); // the gateway ends the call meanwhile
      } finally {
        release.countDown();
      }
      assertEquals((PROMPT + MAX_OUT) * 1000L, SealedGateway.route(sg.spendToday(), "remote"));
      assertRowsAddUpToSpend(sg, "remote");
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aProviderRefusalOrAnUnreachableProviderChargesNothing() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(new MockResponse.Builder().code(429).addHeader("Content-Type", "application/json")
          .body("{\"error\":{\"message\":\"slow down\"}}").build());
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("remote", provider.url("/v1").uri(),
              SealedGateway.policy(6000, MAX_OUT, "5", true, RedactionPolicy.OFF), List.of()),
          SealedGateway.openAi("down", URI.create("http://127.0.0.1:" + closedPort + "/v1"),
              SealedGateway.policy(6000, MAX_OUT, "5", true, RedactionPolicy.OFF), List.of())));
      try (Gateway g = sg.start()) {
        assertEquals(429, post(g.port(), "/routes/remote", chat("hi", MAX_OUT)).statusCode());
        assertEquals(502, post(g.port(), "/routes/down", chat("hi", MAX_OUT)).statusCode());
      }
      assertEquals(0L, SealedGateway.route(sg.spendToday(), "remote"));
      assertEquals(0L, SealedGateway.route(sg.spendToday(), "down"));
      assertEquals(new UsageRow("remote", 1, 0, 0, 0, 0), sg.usageToday("remote"));
      assertEquals(new UsageRow("down", 1, 0, 0, 0, 0), sg.usageToday("down"));
      sg.withStore(store -> assertEquals(List.of(), store.recoverOpenHolds()));
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aCallerWhoLeavesMidStreamIsChargedWhatTheStreamCarriedNeverZero() throws Exception {
    List<String> deltas = new ArrayList<>();
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      deltas.add(" tok" + i);
      body.append(AnswerPolicyEndToEndTest.chunk(SealedGateway.MODEL, "fp_1", " tok" + i));
    }
    body.append("data: [DONE]\n\n");
    long all = deltas.stream().mapToLong(COUNTER::count).sum();
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      // About one chunk every 100 ms: the caller leaves long before the end.
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream")
          .chunkedBody(body.toString(), 64).throttleBody(200, 100, TimeUnit.MILLISECONDS).build());
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("remote", provider.url("/v1").uri(),
              SealedGateway.policy(6000, 500, "5", true, RedactionPolicy.OFF), List.of())));
      try (Gateway g = sg.start()) {
        String json = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try (Socket s = new Socket("127.0.0.1", g.port())) {
          OutputStream out = s.getOutputStream();
          out.write(("POST /routes/remote HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestConfigs.TOKEN_A
              + "\r\nContent-Type: application/json\r\nContent-Length: " + json.length() + "\r\n\r\n" + json)
              .getBytes(StandardCharsets.US_ASCII));
          out.flush();
          InputStream in = s.getInputStream();
          StringBuilder seen = new StringBuilder();
          byte[] buf = new byte[4096];
          while (!seen.toString().contains("tok2")) {
            int n = in.read(buf);
            assertTrue(n > 0, seen.toString());
            seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
          }
        } // the caller leaves
        Thread.sleep(300);
      }
      long spend = SealedGateway.route(sg.spendToday(), "remote");
      assertTrue(spend >= (PROMPT + 3) * 1000L, "charged " + spend);
      assertTrue(spend < (PROMPT + all) * 1000L, "charged " + spend + " for the whole stream");
      UsageRow row = sg.usageToday("remote");
      assertEquals(spend, (row.tokensIn() + row.tokensOut()) * 1000L, "the row's tokens are those charged");
      assertRowsAddUpToSpend(sg, "remote");
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A long stream without reported usage: the guard held most deltas uncounted (far below
   * max_tokens_out) and counted them in pieces of at most 8 K chars; the settlement counts the rest
   * and charges every token the stream carried, never fewer than the whole text counted at once.
   */
  @Test
  void aLongStreamWithoutUsageIsChargedEveryTokenItCarried() throws Exception {
    StringBuilder body = new StringBuilder();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 3000; i++) {
      String delta = " tok" + i;
      text.append(delta);
      body.append(AnswerPolicyEndToEndTest.chunk(SealedGateway.MODEL, "fp_1", delta));
    }
    body.append("data: [DONE]\n\n");
    long whole = COUNTER.count(text.toString());
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream")
          .chunkedBody(body.toString(), 4096).build());
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("remote", provider.url("/v1").uri(),
              SealedGateway.policy(6000, 100_000, "5", true, RedactionPolicy.OFF), List.of())));
      try (Gateway g = sg.start()) {
        String json = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        HttpResponse<String> r = post(g.port(), "/routes/remote", json);
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains(" tok2999") && r.body().endsWith("data: [DONE]\n\n"), "whole stream relayed");
      }
      assertTrue(text.length() > 2 * 8 * 1024, "the premise: longer than two pending pieces");
      long spend = SealedGateway.route(sg.spendToday(), "remote");
      // Pieces counted apart can only add a token at a seam.
      assertTrue(spend >= (PROMPT + whole) * 1000L && spend <= (PROMPT + whole + 8) * 1000L,
          "charged " + spend + " for " + whole + " output tokens");
      assertRowsAddUpToSpend(sg, "remote");
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A caller who leaves while a policy thread checks a large streamed event ends its call at once,
   * but is settled once the event is back: on the tokens it carried, not on the count as it stood
   * when the caller left (the settlement reads the stream guard's tally, which the policy thread
   * is counting into).
   */
  @Test
  void aCallerWhoLeavesWhileALargeEventIsCheckedIsChargedForThatEvent() throws Exception {
    String big = SealedGateway.words(30_000);
    long output = COUNTER.count(" first" + big); // the guard counts what it held with the large delta
    HeldWork events = new HeldWork().hold();
    OffLoopHooks.beforeLargeEvent(events);
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk(AnswerPolicyEndToEndTest.chunk(SealedGateway.MODEL, "fp_1", " first"));
      c.chunk(AnswerPolicyEndToEndTest.chunk(SealedGateway.MODEL, "fp_1", big));
      c.awaitPeerClose(); // the rest never comes: the caller leaves first
      c.close = true;
    })) {
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("remote", provider.baseUrl("http", "127.0.0.1"),
              SealedGateway.policy(6000, 100_000, "5", true, RedactionPolicy.OFF), List.of())));
      try (Gateway g = sg.start()) {
        long before = PolicyThreads.completedTasks();
        try (Socket s = SealedGateway.postRaw(g.port(), "/routes/remote",
            "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")) {
          assertTrue(events.awaitHeld(), "the large event went to a policy thread");
          s.setSoLinger(true, 0); // a reset: the gateway sees the caller gone at its next write or read
        }
        Thread.sleep(300); // the caller's reset reaches the gateway, which ends the call meanwhile
        events.release();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (PolicyThreads.completedTasks() == before && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        Thread.sleep(200); // the event's hand-back to the loop, which settles
      } finally {
        OffLoopHooks.beforeLargeEvent(null);
        events.release();
      }
      assertTrue(big.length() > PolicyThreads.THRESHOLD);
      assertEquals((PROMPT + output) * 1000L, SealedGateway.route(sg.spendToday(), "remote"));
      UsageRow row = sg.usageToday("remote");
      assertEquals(List.of((long) PROMPT, output), List.of(row.tokensIn(), row.tokensOut()));
      assertRowsAddUpToSpend(sg, "remote");
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * Large whole answers are read and counted on the two policy threads. Three callers ask for one
   * (with usage) at once: two answers are held on the threads, the third waits in line. The first
   * caller and the third leave; all three are charged what their answer carried, the provider's
   * usage: the first once its read is back (the settlement waits for it), the third although its
   * read had not started (it is not dropped from the line: the provider billed the answer).
   */
  @Test
  void callersWhoLeaveWhileTheirLargeAnswerIsReadArePaidForInFull() throws Exception {
    int completion = 5_000;
    String answer = SealedGateway.completion(SealedGateway.MODEL, SealedGateway.words(30_000), PROMPT, completion);
    HeldWork reads = new HeldWork().hold();
    OffLoopHooks.beforeLargeAnswer(reads);
    try (MockWebServer provider = new MockWebServer()) {
      provider.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          return new MockResponse.Builder().addHeader("Content-Type", "application/json").body(answer).build();
        }
      });
      provider.start();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("remote", provider.url("/v1").uri(),
              SealedGateway.policy(6000, 100_000, "5", true, RedactionPolicy.OFF), List.of())));
      String ask = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
      try (Gateway g = sg.start()) {
        long before = PolicyThreads.completedTasks();
        Socket first = SealedGateway.postRaw(g.port(), "/routes/remote", ask);
        Socket second = SealedGateway.postRaw(g.port(), "/routes/remote", ask);
        for (int i = 0; i < 2; i++) {
          assertTrue(reads.threads.poll(10, TimeUnit.SECONDS) != null, "both policy threads hold a read");
        }
        Socket third = SealedGateway.postRaw(g.port(), "/routes/remote", ask);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (PolicyThreads.waiting() == 0 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertEquals(1, PolicyThreads.waiting(), "the third read waits in line");
        for (Socket gone : List.of(first, third)) {
          gone.setSoLinger(true, 0);
          gone.close(); // a reset, seen at once
        }
        Thread.sleep(300); // the gateway ends both calls meanwhile
        reads.release();
        try (second) {
          second.setSoTimeout(10_000);
          String got = new String(second.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
          assertEquals("HTTP/1.1 200", got, "the caller who stayed is answered");
        }
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (PolicyThreads.completedTasks() < before + 3 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        Thread.sleep(200); // the reads' hand-backs to the loops, which settle
      } finally {
        OffLoopHooks.beforeLargeAnswer(null);
        reads.release();
      }
      assertEquals(3 * (PROMPT + completion) * 1000L, SealedGateway.route(sg.spendToday(), "remote"));
      UsageRow row = sg.usageToday("remote");
      assertEquals(List.of(3L, 3L * PROMPT, 3L * completion), List.of(row.requests(), row.tokensIn(), row.tokensOut()));
      assertRowsAddUpToSpend(sg, "remote");
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * What the telemetry rows say the route's calls cost is what the budget settled: a row is
   * written with its call's charge, also when the provider reported no usage.
   */
  private static void assertRowsAddUpToSpend(SealedGateway sg, String route) throws Exception {
    long spend = SealedGateway.route(sg.spendToday(), route);
    assertTrue(spend > 0, "the premise: the calls were charged");
    assertEquals(spend, sg.usageToday(route).costNanoUsd(), "rows' cost against settled spend");
  }
}
