package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.PolicyThreads;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.StreamChunk;
import dev.parapet.runtime.testing.HeldWork;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A streamed event larger than {@link PolicyThreads#THRESHOLD} is translated and checked on the
 * policy threads: both loops serve other calls meanwhile, the provider is paused, and what it had
 * already sent waits; the caller still gets every event once, in order, and every ending (a cut, a
 * refusal before the head, a policy's bug, the caller leaving) is the one the loop gives. (That a
 * caller who leaves meanwhile is settled on the event: SettlementEndToEndTest.) Over real
 * sockets, with the leak detector at paranoid.
 */
class LargeStreamEventTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String BIG = UpstreamStreamingTest.chunk("a long delta. ".repeat(2_000));
  static final String BIG_TOO = UpstreamStreamingTest.chunk("another long delta. ".repeat(1_500));

  private final HeldWork events = new HeldWork().hold();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private TestGateway gateway;
  private FakeProvider provider;
  /** The threads each payload was checked on: large ones first, small ones second. */
  private final BlockingQueue<String> largeOn = new LinkedBlockingQueue<>();
  private final BlockingQueue<String> smallOn = new LinkedBlockingQueue<>();
  private final CountDownLatch upstreamClosed = new CountDownLatch(1);
  private volatile boolean cutLarge;
  private volatile boolean refuse;
  private volatile boolean explodeOn; // a policy's bug: throws on "second" (small) or the large one

  private ExchangeObserver observer(GatewayRequest request) {
    return new ExchangeObserver() {
      @Override
      public Optional<Veto> beforeAnswer(GatewayRequest r, Optional<String> model) {
        largeOrSmall(model.isPresent() && refuse).add(Thread.currentThread().getName());
        return refuse ? Optional.of(new Veto(ParapetError.MODEL_DRIFT, "refused before the head"))
            : Optional.empty();
      }

      @Override
      public Optional<Veto> onStreamPayload(GatewayRequest r, StreamChunk payload) {
        boolean large = payload.json().length() > PolicyThreads.THRESHOLD;
        if (!refuse) {
          largeOrSmall(large).add(Thread.currentThread().getName());
        }
        if (explodeOn && large) {
          throw new IllegalStateException("a policy's bug");
        }
        return cutLarge && large
            ? Optional.of(new Veto(ParapetError.STREAM_TRUNCATED, "cut on the large event"))
            : Optional.empty();
      }
    };
  }

  private BlockingQueue<String> largeOrSmall(boolean large) {
    return large ? largeOn : smallOn;
  }

  private static byte[] chunked(String... datas) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String data : datas) {
      byte[] b = data.getBytes(StandardCharsets.UTF_8);
      out.writeBytes((Integer.toHexString(b.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(b);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    return out.toByteArray();
  }

  @BeforeEach
  void start() throws Exception {
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(), this::observer);
    provider = new FakeProvider((req, c) -> {
      if (!req.body().contains("\"stream\":true")) {
        c.full(200, "application/json", UpstreamProxyHandlerTest.OPENAI_ANSWER);
        return;
      }
      c.sseHead();
      if (req.body().contains("big-first")) {
        c.chunk("data: " + BIG + "\n\n");
      } else {
        c.chunk("data: " + UpstreamStreamingTest.chunk("first") + "\n\n");
        // One write: the large event with a small one after it in its chunk, then more chunks, so
        // the gateway reads past the large event before it pauses the provider. No last chunk: the
        // provider lingers, so a call that ends early must close its connection.
        c.out.write(chunked("data: " + BIG + "\n\ndata: " + UpstreamStreamingTest.chunk("second") + "\n\n",
            "data: " + UpstreamStreamingTest.chunk("third") + "\n\n", "data: " + BIG_TOO + "\n\n",
            "data: [DONE]\n\n"));
        c.out.flush();
      }
      if (c.awaitPeerClose()) {
        upstreamClosed.countDown();
      }
      c.close = true;
    });
    gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 10_000);
  }

  @AfterEach
  void stop() throws Exception {
    StreamedAnswer.beforeOffLoopEventForTest = null;
    events.release();
    provider.close();
    gateway.close();
    LeakWatch.assertNoLeaks();
  }

  private HttpRequest ask(String body) {
    return gateway.request("r", body);
  }

  private static final String EXPECTED = "data: " + UpstreamStreamingTest.chunk("first") + "\n\ndata: " + BIG
      + "\n\ndata: " + UpstreamStreamingTest.chunk("second") + "\n\ndata: " + UpstreamStreamingTest.chunk("third")
      + "\n\ndata: " + BIG_TOO + "\n\ndata: [DONE]\n\n";

  private void smallCallAnswers() throws Exception {
    gateway.assertSmallCallAnswered();
  }

  @Test
  void bothLoopsServeOtherCallsWhileALargeEventIsCheckedAndTheStreamKeepsItsOrder() throws Exception {
    assertTrue(BIG.length() > PolicyThreads.THRESHOLD && BIG_TOO.length() > PolicyThreads.THRESHOLD);
    StreamedAnswer.beforeOffLoopEventForTest = events;
    CompletableFuture<HttpResponse<String>> stream = http.sendAsync(ask(UpstreamStreamingTest.STREAM_ASK),
        HttpResponse.BodyHandlers.ofString());
    assertTrue(events.awaitHeld(), "the large event went to a policy thread");
    assertTrue(events.threads.poll().startsWith("parapet-policy"));
    for (int i = 0; i < 4; i++) { // four connections: two on each of the gateway's two loops
      smallCallAnswers();
    }
    assertFalse(stream.isDone(), "the stream waited for its large event");

    events.release();
    HttpResponse<String> res = stream.get(20, TimeUnit.SECONDS);
    assertEquals(200, res.statusCode());
    assertEquals(EXPECTED, res.body(), "every event once, in the provider's order");
    assertEquals(200, gateway.nextCompleted().status());
    for (int i = 0; i < 2; i++) {
      String on = largeOn.poll(5, TimeUnit.SECONDS);
      assertTrue(on.startsWith("parapet-policy"), "a large event is checked off the loop: " + on);
    }
    String first = smallOn.poll(5, TimeUnit.SECONDS); // beforeAnswer, on the first event
    for (String on = first; on != null; on = smallOn.poll()) {
      assertFalse(on.startsWith("parapet-policy"), "small events are checked on the loop: " + on);
    }
  }

  @Test
  void aVetoOnALargeEventCutsTheStreamAfterWhatWentBefore() throws Exception {
    cutLarge = true;
    HttpResponse<String> res = http.send(ask(UpstreamStreamingTest.STREAM_ASK), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, res.statusCode());
    String[] sent = res.body().split("\n\n");
    assertEquals(3, sent.length, res.body());
    assertEquals("data: " + UpstreamStreamingTest.chunk("first"), sent[0]);
    assertEquals("stream_truncated", JSON.readTree(sent[1].substring(6)).path("error").path("code").asText());
    assertEquals("data: [DONE]", sent[2]);
    assertEquals(Optional.of(ParapetError.STREAM_TRUNCATED), gateway.nextCompleted().error());
    assertTrue(upstreamClosed.await(5, TimeUnit.SECONDS), "the provider's connection was closed");
    assertTrue(largeOn.poll(5, TimeUnit.SECONDS).startsWith("parapet-policy"));
  }

  @Test
  void aRefusalDecidedOnALargeFirstEventIsAPlainError() throws Exception {
    refuse = true;
    HttpResponse<String> res = http.send(ask("{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"big-first\"}]}"),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(502, res.statusCode(), res.body());
    assertEquals("model_drift", JSON.readTree(res.body()).path("error").path("code").asText());
    assertEquals(Optional.of(ParapetError.MODEL_DRIFT), gateway.nextCompleted().error());
    String on = largeOn.poll(5, TimeUnit.SECONDS);
    assertTrue(on.startsWith("parapet-policy"), "asked where the large first event was read: " + on);
    assertTrue(upstreamClosed.await(5, TimeUnit.SECONDS), "the provider's connection was closed");
  }

  @Test
  void aPolicysBugOnALargeEventEndsTheStreamAsOnTheLoop() throws Exception {
    explodeOn = true;
    HttpResponse<String> res = http.send(ask(UpstreamStreamingTest.STREAM_ASK), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, res.statusCode());
    String[] sent = res.body().split("\n\n");
    assertEquals(3, sent.length, res.body());
    assertEquals("data: " + UpstreamStreamingTest.chunk("first"), sent[0]);
    assertEquals("internal_error", JSON.readTree(sent[1].substring(6)).path("error").path("code").asText());
    assertFalse(sent[1].contains("bug"), "our words, not the exception's");
    assertEquals("data: [DONE]", sent[2]);
    assertEquals(Optional.of(ParapetError.INTERNAL_ERROR), gateway.nextCompleted().error());
    assertNull(gateway.completed.poll(300, TimeUnit.MILLISECONDS), "ended once");
    explodeOn = false;
    smallCallAnswers(); // the loops carry on
  }

  @Test
  void aCallerWhoLeavesWhileALargeEventIsCheckedEndsTheCallAtOnceAndOnce() throws Exception {
    StreamedAnswer.beforeOffLoopEventForTest = events;
    try (Socket s = new Socket("127.0.0.1", gateway.port())) {
      UpstreamStreamingTest.rawPost(s.getOutputStream(), UpstreamStreamingTest.STREAM_ASK);
      assertTrue(events.awaitHeld(), "the large event went to a policy thread");
      gateway.closeFromGatewaySide(s); // while the policy thread holds the event
      RequestCompleted gone = gateway.nextCompleted();
      assertEquals(RequestCompleted.CALLER_GONE, gone.status(), "ended at once");
      assertEquals(Optional.of(TestGateway.MODEL), gone.reportedModel(), "on what was known before the event left");
      assertTrue(upstreamClosed.await(5, TimeUnit.SECONDS), "the provider is stopped at once");
    }
    events.release(); // the event comes back to a finished call
    assertNull(gateway.completed.poll(500, TimeUnit.MILLISECONDS), "ended once");
    smallCallAnswers();
  }
}
