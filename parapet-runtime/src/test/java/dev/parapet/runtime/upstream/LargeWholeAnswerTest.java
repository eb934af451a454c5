package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.PolicyThreads;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.testing.HeldWork;
import dev.parapet.runtime.provider.Translated;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A whole answer larger than {@link PolicyThreads#THRESHOLD} is read (parsed and translated) and
 * prepared (the observers' text work, the encoding of a rewrite) on the policy threads: its loop
 * serves other connections meanwhile, the outcome is the one a read on
 * the loop gives, and a caller who leaves meanwhile ends the call at once, once. Over real sockets,
 * with the leak detector at paranoid.
 */
class LargeWholeAnswerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** ~40 KB of answer, as the provider might format it (not Jackson's spelling). */
  static final String BIG = "{ \"id\": \"chatcmpl-big\", \"object\": \"chat.completion\", \"model\": \"gpt-4o-2024-08-06\","
      + " \"choices\": [ { \"index\": 0, \"message\": { \"role\": \"assistant\", \"content\": \""
      + "a long answer. ".repeat(2_700) + "\" }, \"finish_reason\": \"stop\" } ],"
      + " \"usage\": { \"prompt_tokens\": 7, \"completion_tokens\": 8100, \"total_tokens\": 8107 } }\n";
  static final String BIG_ASK = "{\"messages\":[{\"role\":\"user\",\"content\":\"big\"}]}";

  private final HeldWork reads = new HeldWork().hold();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private TestGateway gateway;
  private FakeProvider provider;
  private volatile String bigAnswer = BIG;
  /** The threads the answers' text work ran on ({@link ExchangeObserver#prepareAnswer}). */
  private final BlockingQueue<String> preparedOn = new LinkedBlockingQueue<>();
  /** The thread that encoded a rewritten answer, when the observer rewrites. */
  private final AtomicReference<String> encodedOn = new AtomicReference<>();
  private volatile boolean rewrite;

  /** A node whose encoding says which thread encoded it. */
  private final class EncodedOn {
    @JsonValue
    String value() {
      encodedOn.set(Thread.currentThread().getName());
      return "rewritten";
    }
  }

  /** When set, the observer fails on every whole answer, as a policy with a bug would. */
  private volatile boolean explode;

  private ExchangeObserver observer(GatewayRequest request) {
    return new ExchangeObserver() {
      @Override
      public Optional<Veto> onAnswer(GatewayRequest r, Translated answer) {
        if (explode) {
          throw new IllegalStateException("a policy's bug");
        }
        return Optional.empty();
      }

      @Override
      public void prepareAnswer(GatewayRequest r, Translated answer) {
        preparedOn.add(Thread.currentThread().getName());
        if (rewrite && answer.body().path("choices").path(0).path("message") instanceof ObjectNode message) {
          answer.set(message, "content", new POJONode(new EncodedOn()));
        }
      }
    };
  }

  @BeforeEach
  void start() throws Exception {
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(), this::observer);
    provider = new FakeProvider((req, c) -> {
      byte[] body = (req.body().contains("big") ? bigAnswer : UpstreamProxyHandlerTest.OPENAI_ANSWER)
          .getBytes(StandardCharsets.UTF_8);
      c.out.write(("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + body.length
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      c.out.write(body);
      c.out.flush();
    });
    gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 10_000);
  }

  @AfterEach
  void stop() throws Exception {
    BufferedAnswer.beforeOffLoopReadForTest = null;
    reads.release();
    provider.close();
    gateway.close();
    LeakWatch.assertNoLeaks();
  }

  private HttpRequest ask(String body) {
    return gateway.request("r", body);
  }

  private void smallCallAnswers() throws Exception {
    gateway.assertSmallCallAnswered();
  }

  @Test
  void bothLoopsServeOtherCallsWhileALargeAnswerIsRead() throws Exception {
    assertTrue(BIG.length() > PolicyThreads.THRESHOLD);
    BufferedAnswer.beforeOffLoopReadForTest = reads;
    CompletableFuture<HttpResponse<byte[]>> big = http.sendAsync(ask(BIG_ASK), HttpResponse.BodyHandlers.ofByteArray());
    assertTrue(reads.awaitHeld(), "the large answer went to a policy thread");
    String readOn = reads.threads.poll();
    assertTrue(readOn.startsWith("parapet-policy"), readOn);
    for (int i = 0; i < 4; i++) { // four connections: two on each of the gateway's two loops
      smallCallAnswers();
    }
    assertFalse(big.isDone(), "the large answer waited for its read");

    reads.release();
    HttpResponse<byte[]> res = big.get(20, TimeUnit.SECONDS);
    assertEquals(200, res.statusCode());
    assertArrayEquals(BIG.getBytes(StandardCharsets.UTF_8), res.body(), "sent as the provider's bytes");
    RequestCompleted done = gateway.nextCompleted();
    assertEquals(200, done.status());
    assertEquals(8100L, done.usage().orElseThrow().completionTokens());
  }

  @Test
  void aLargeAnswerIsPreparedAndEncodedOffTheLoopAndASmallOneOnIt() throws Exception {
    rewrite = true;
    HttpResponse<String> big = http.send(ask(BIG_ASK), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, big.statusCode());
    assertEquals("rewritten", JSON.readTree(big.body()).path("choices").path(0).path("message").path("content").asText());
    assertEquals(8100L, gateway.nextCompleted().usage().orElseThrow().completionTokens());
    String prepared = preparedOn.poll(5, TimeUnit.SECONDS);
    assertTrue(prepared.startsWith("parapet-policy"), prepared);
    assertTrue(encodedOn.get().startsWith("parapet-policy"), "encoded where it was prepared: " + encodedOn.get());

    smallCallAnswers();
    String small = preparedOn.poll(5, TimeUnit.SECONDS);
    assertFalse(small.startsWith("parapet-policy"), "a small answer is prepared on its loop: " + small);
    assertEquals(small, encodedOn.get(), "and encoded there");
  }

  @Test
  void aPolicyThatFailsOnALargeAnswerGetsTheCallerA500AndEndsTheCallOnce() throws Exception {
    explode = true;
    HttpResponse<String> res = http.send(ask(BIG_ASK), HttpResponse.BodyHandlers.ofString());
    assertEquals(500, res.statusCode(), res.body());
    assertEquals("internal_error", JSON.readTree(res.body()).path("error").path("code").asText());
    assertFalse(res.body().contains("bug"), "our words, not the exception's");
    assertEquals(500, gateway.nextCompleted().status());
    assertNull(gateway.completed.poll(300, TimeUnit.MILLISECONDS), "ended once");
    explode = false;
    smallCallAnswers(); // the connection pool and the loops carry on
  }

  @Test
  void aLargeAnswerReadsAsOnTheLoop() throws Exception {
    long before = PolicyThreads.completedTasks();
    String compact = JSON.writeValueAsString(JSON.readTree(BIG));
    bigAnswer = compact.replace("\"object\":", "\"model\":\"gpt-evil\",\"object\":"); // a duplicate key
    HttpResponse<String> dup = http.send(ask(BIG_ASK), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, dup.statusCode());
    assertFalse(dup.body().contains("gpt-evil"), "re-serialized from the tree, not sent as received");
    assertEquals(JSON.readTree(compact), JSON.readTree(dup.body()));
    assertEquals(200, gateway.nextCompleted().status());

    bigAnswer = "[" + "1,".repeat(PolicyThreads.THRESHOLD) + "1]";
    HttpResponse<String> notAnAnswer = http.send(ask(BIG_ASK), HttpResponse.BodyHandlers.ofString());
    assertEquals(502, notAnAnswer.statusCode(), notAnAnswer.body());
    assertEquals("upstream_error", JSON.readTree(notAnAnswer.body()).path("error").path("code").asText());
    assertEquals(502, gateway.nextCompleted().status());

    smallCallAnswers();
    // The pool counts a task just after it hands the result back.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (PolicyThreads.completedTasks() < before + 2 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(before + 2, PolicyThreads.completedTasks(), "the two large answers, not the small one");
  }

  @Test
  void aCallerWhoLeavesWhileItsAnswerIsReadEndsTheCallAtOnceAndOnce() throws Exception {
    BufferedAnswer.beforeOffLoopReadForTest = reads;
    try (Socket s = new Socket("127.0.0.1", gateway.port())) {
      UpstreamStreamingTest.rawPost(s.getOutputStream(), BIG_ASK);
      assertTrue(reads.awaitHeld(), "the large answer went to a policy thread");
      gateway.closeFromGatewaySide(s); // while the policy thread holds the read
      assertEquals(RequestCompleted.CALLER_GONE, gateway.nextCompleted().status(), "ended at once");
    }
    reads.release(); // the read comes back to a finished call
    assertNull(gateway.completed.poll(500, TimeUnit.MILLISECONDS), "ended once");
    smallCallAnswers(); // and the gateway carries on
  }
}
