package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prompts above the off-loop threshold are counted on the counting threads and decided back on
 * the event loop: same verdicts, same holds and charges, and a caller who leaves meanwhile ends
 * the request without anything sent upstream.
 */
class OffLoopCountingTest {
  /** The sealed config needs a route using the provider key SealedGateway always carries. */
  private static final dev.parapet.core.config.Route UNUSED = SealedGateway.openAi("unused",
      java.net.URI.create("http://127.0.0.1:9/v1"), SealedGateway.policy(100, 10, "5", true, RedactionPolicy.OFF), List.of());

  @TempDir Path tmp;

  @Test
  void aLargePromptGetsTheVerdictAndChargeAnInlineCountWouldGive() throws Exception {
    String text = SealedGateway.words(40_000);
    int prompt = TokenCounter.forModel(ProviderType.ECHO, "echo-2024-01-01").countMessages(List.of(text));
    SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
        SealedGateway.echo("big", SealedGateway.policy(100_000, 10, "5", true, RedactionPolicy.OFF)),
        SealedGateway.echo("small", SealedGateway.policy(prompt - 1, 10, "5", true, RedactionPolicy.OFF)),
        UNUSED));
    try (Gateway g = sg.start()) {
      HttpResponse<String> ok = post(g.port(), "/routes/big", SealedGateway.chat(text, 10));
      assertEquals(200, ok.statusCode(), ok.body());
      assertTrue(ok.body().contains("\"prompt_tokens\":" + prompt), ok.body());
      HttpResponse<String> refused = post(g.port(), "/routes/small", SealedGateway.chat(text, 10));
      assertEquals(400, refused.statusCode(), refused.body());
      assertTrue(refused.body().contains("max_tokens_in_exceeded") && refused.body().contains(prompt + " tokens"),
          refused.body());
    }
    // Echo reports the same prompt count; 10 output tokens; $1 per 1M tokens = 1,000 nano each.
    assertEquals((prompt + 10) * 1000L, SealedGateway.route(sg.spendToday(), "big"));
    assertEquals(0L, SealedGateway.route(sg.spendToday(), "small"));
    LeakWatch.assertNoLeaks();
  }

  /**
   * On a free route a prompt under its limit needs no count to be admitted, only its bound; a long
   * one has that bound made off the loop too (it reads every char). Three tasks: the parse, the
   * bound, and the echo (which counts the prompt for its own usage).
   */
  @Test
  void aLongPromptOnAFreeRouteHasItsBoundMadeOffTheLoop() throws Exception {
    String text = SealedGateway.words(40_000);
    dev.parapet.core.config.Route free = new dev.parapet.core.config.Route("free", "prod",
        new dev.parapet.core.config.ProviderSpec(ProviderType.ECHO, "echo-2024-01-01", Optional.empty(),
            Optional.empty(), List.of(), Optional.empty(), 60_000),
        SealedGateway.policy(1_000_000, 10, "5", true, RedactionPolicy.OFF));
    SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(free, UNUSED));
    try (Gateway g = sg.start()) {
      long before = PolicyThreads.completedTasks();
      HttpResponse<String> ok = post(g.port(), "/routes/free", SealedGateway.chat(text, 10));
      assertEquals(200, ok.statusCode(), ok.body());
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
      while (PolicyThreads.completedTasks() < before + 3 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(before + 3, PolicyThreads.completedTasks(), "the parse, the bound and the echo");
    }
    assertEquals(0L, SealedGateway.route(sg.spendToday(), "free"));
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aCallerWhoLeavesWhileItsPromptIsCountedEndsItsRequestAndTheConnectionServesNoMore() throws Exception {
    String text = SealedGateway.words(300_000);
    SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
        SealedGateway.echo("big", SealedGateway.policy(1_000_000, 10, "5", true, RedactionPolicy.OFF)), UNUSED));
    try (Gateway g = sg.start()) {
      for (int i = 0; i < 5; i++) {
        try (Socket s = SealedGateway.postRaw(g.port(), "/routes/big", SealedGateway.chat(text, 10))) {
          assertTrue(s.isConnected());
        } // gone before the answer
      }
      // The gateway is unharmed: a small call right after is answered.
      HttpResponse<String> ok = post(g.port(), "/routes/big", SealedGateway.chat("hi", 10));
      assertEquals(200, ok.statusCode(), ok.body());
    }
    LeakWatch.assertNoLeaks();
  }
}
