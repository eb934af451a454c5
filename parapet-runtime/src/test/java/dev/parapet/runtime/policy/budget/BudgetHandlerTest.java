package dev.parapet.runtime.policy.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.budget.Hold;
import dev.parapet.core.budget.LedgerJournal;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.Charge;
import dev.parapet.runtime.Charge.Basis;
import dev.parapet.runtime.Charges;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.policy.EnforcementEvents;
import dev.parapet.runtime.policy.OutputTallies;
import dev.parapet.runtime.policy.OutputTally;
import dev.parapet.runtime.provider.Usage;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The budget handler alone: waiting for a durable hold, failing it, and every early exit. */
class BudgetHandlerTest {
  private static final Pricing PRICE = new Pricing(BigDecimal.ONE, BigDecimal.ONE); // 1000 nanos a token
  private static final Route ROUTE = new Route("r", "prod", new ProviderSpec(ProviderType.ECHO, "echo-1",
      Optional.empty(), Optional.empty(), List.of(), Optional.of(PRICE), 60_000),
      new Policy(6000, 10, BigDecimal.ONE, true, RedactionPolicy.OFF));
  private static final Service SERVICE = new Service("svc", "prod", List.of("r"), "SVC_TOKEN");
  private static final ParapetSpec SPEC = new ParapetSpec(1, List.of(new Tenant("prod", Optional.empty(), Optional.empty())),
      List.of(ROUTE), List.of(SERVICE), List.of());
  private static final int PROMPT = TokenCounter.forModel(ProviderType.ECHO, "echo-1").countMessages(List.of("hi"));
  private static final long WORST = (PROMPT + 10) * 1000L;

  /** Persists holds when told to. */
  static final class SlowJournal implements LedgerJournal {
    final List<CompletableFuture<Void>> holds = new ArrayList<>();

    @Override
    public CompletableFuture<Void> persistHold(Hold hold) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      holds.add(f);
      return f;
    }

    @Override
    public CompletableFuture<Void> persistSettlement(Hold hold, long actualNanos) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> persistRelease(Hold hold) {
      return CompletableFuture.completedFuture(null);
    }
  }

  private static GatewayRequest request(String id) throws Exception {
    ObjectNode body = (ObjectNode) new ObjectMapper().readTree(
        "{\"model\":\"echo-1\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    return new GatewayRequest(id, SERVICE, ROUTE, body, false, true, System.nanoTime());
  }

  private static final class Completions extends ChannelInboundHandlerAdapter {
    final List<RequestCompleted> seen = new ArrayList<>();

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof RequestCompleted c) {
        seen.add(c);
      }
    }
  }

  private static long settled(Budgets b) {
    return b.ledger().snapshot(LocalDate.now(ZoneOffset.UTC)).routes().get("r").settledNanos();
  }

  @Test
  void forwardsOnlyOnceTheHoldIsDurableAndSettlesOnCompletion() throws Exception {
    SlowJournal journal = new SlowJournal();
    Budgets budgets = Budgets.over(journal, SPEC, Clock.systemUTC(), 10);
    OutputTallies tallies = new OutputTallies();
    EmbeddedChannel ch = new EmbeddedChannel(new BudgetHandler(budgets, EnforcementEvents.NONE, tallies, new Charges()));
    GatewayRequest r = request("a");
    ch.writeInbound(r);
    ch.runPendingTasks();
    assertNull(ch.readInbound(), "forwarded before the hold was durable");
    journal.holds.get(0).complete(null);
    ch.runPendingTasks();
    assertSame(r, ch.readInbound());
    assertEquals(1, tallies.size());
    ch.pipeline().fireUserEventTriggered(new RequestCompleted("a", Optional.of(r), 200, Optional.empty(),
        Optional.of(new Usage(5, 3)), Optional.empty(), 1));
    assertEquals(0, budgets.ledger().openHolds());
    assertEquals(8_000, settled(budgets));
    assertEquals(0, tallies.size());
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aHoldTheStoreCannotRecordIsReleasedAndRefused503() throws Exception {
    SlowJournal journal = new SlowJournal();
    Budgets budgets = Budgets.over(journal, SPEC, Clock.systemUTC(), 10);
    Completions completions = new Completions();
    EmbeddedChannel ch = new EmbeddedChannel(new BudgetHandler(budgets, EnforcementEvents.NONE, new OutputTallies(), new Charges()), completions);
    ch.writeInbound(request("a"));
    journal.holds.get(0).completeExceptionally(new IllegalStateException("disk full"));
    ch.runPendingTasks();
    FullHttpResponse res = assertInstanceOf(FullHttpResponse.class, ch.readOutbound());
    assertEquals(503, res.status().code());
    res.release();
    assertNull(ch.readInbound());
    assertEquals(0, budgets.ledger().openHolds());
    assertEquals(0, settled(budgets));
    assertEquals(1, completions.seen.size());
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aCallerWhoLeavesWhileTheHoldIsWrittenIsReleasedAndNeverForwarded() throws Exception {
    SlowJournal journal = new SlowJournal();
    Budgets budgets = Budgets.over(journal, SPEC, Clock.systemUTC(), 10);
    Completions completions = new Completions();
    EmbeddedChannel ch = new EmbeddedChannel(new BudgetHandler(budgets, EnforcementEvents.NONE, new OutputTallies(), new Charges()), completions);
    ch.writeInbound(request("a"));
    ch.close();
    assertEquals(0, budgets.ledger().openHolds());
    journal.holds.get(0).complete(null);
    ch.runPendingTasks();
    assertNull(ch.readInbound());
    assertEquals(0, settled(budgets));
    assertEquals(499, completions.seen.get(0).status());
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aFullLedgerRefuses503AndAnEmptyCapRefuses402() throws Exception {
    Budgets budgets = Budgets.over(new SlowJournal(), SPEC, Clock.systemUTC(), 1);
    EmbeddedChannel first = new EmbeddedChannel(new BudgetHandler(budgets, EnforcementEvents.NONE, new OutputTallies(), new Charges()));
    first.writeInbound(request("a")); // holds the only slot
    EmbeddedChannel second = new EmbeddedChannel(new BudgetHandler(budgets, EnforcementEvents.NONE, new OutputTallies(), new Charges()));
    second.writeInbound(request("b"));
    FullHttpResponse res = assertInstanceOf(FullHttpResponse.class, second.readOutbound());
    assertEquals(503, res.status().code());
    res.release();
    first.close();
    assertEquals(0, budgets.ledger().openHolds());

    ParapetSpec broke = new ParapetSpec(1, SPEC.tenants(), List.of(new Route("r", "prod", ROUTE.provider(),
        new Policy(6000, 10, BigDecimal.ZERO, true, RedactionPolicy.OFF))), SPEC.services(), List.of());
    Budgets none = Budgets.inMemory(broke, Clock.systemUTC(), 10);
    EmbeddedChannel third = new EmbeddedChannel(new BudgetHandler(none, EnforcementEvents.NONE, new OutputTallies(), new Charges()));
    third.writeInbound(new GatewayRequest("c", SERVICE, broke.routes().get(0), request("c").body(), false, true, 0));
    res = assertInstanceOf(FullHttpResponse.class, third.readOutbound());
    assertEquals(402, res.status().code());
    res.release();
    assertFalse(first.finishAndReleaseAll());
    assertFalse(second.finishAndReleaseAll());
    assertFalse(third.finishAndReleaseAll());
  }

  @Test
  void removingTheHandlerMidCallSettlesWhatWasSeen() throws Exception {
    Budgets budgets = Budgets.inMemory(SPEC, Clock.systemUTC(), 10);
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    OutputTallies tallies = new OutputTallies();
    Charges charges = new Charges();
    BudgetHandler handler = new BudgetHandler(budgets, EnforcementEvents.NONE, tallies, charges);
    EmbeddedChannel ch = new EmbeddedChannel(handler);
    GatewayRequest a = request("a");
    ch.writeInbound(a);
    ch.runPendingTasks();
    ch.readInbound();
    assertEquals(1, charges.size(), "a forwarded call's charge is announced");
    List<Charge> seen = new ArrayList<>();
    charges.whenCharged(new RequestCompleted("a", Optional.of(a), 200, Optional.empty(), Optional.empty(),
        Optional.empty(), 0), (r, u) -> 1, seen::add);
    assertEquals(List.of(), seen, "the recorder waits for the settlement");
    tallies.get("a").add(2);
    ch.pipeline().remove(handler);
    assertEquals(0, budgets.ledger().openHolds());
    assertEquals((PROMPT + 2) * 1000L, settled(budgets));
    assertEquals(List.of(new Charge(PROMPT, 2, (PROMPT + 2) * 1000L, Basis.COUNTED).on(today)),
        seen, "charged to the day of its hold");
    assertEquals(0, charges.size());
    assertFalse(ch.finishAndReleaseAll());
  }

  private static RequestCompleted ended(int status, Optional<ParapetError> error, Optional<Usage> usage) {
    return new RequestCompleted("x", Optional.empty(), status, error, usage, Optional.empty(), 0);
  }

  /**
   * Output of 4 tokens seen in {@code tally}: a stream cut short of a complete answer is charged its
   * worst case, though a partial usage was reported; a complete answer, its usage.
   */
  private static void assertKnownOnlyFromACompleteAnswer(OutputTally tally, Settlement.Unseen unseen) {
    assertEquals(new Charge(12, 4, WORST, Basis.WORST_CASE),
        Settlement.charge(ended(200, Optional.of(ParapetError.STREAM_TRUNCATED), Optional.of(new Usage(12, 1))), PRICE,
            Optional.empty(), 7, WORST, tally, unseen));
    assertEquals(new Charge(12, 900, 912_000, Basis.REPORTED),
        Settlement.charge(ended(200, Optional.empty(), Optional.of(new Usage(12, 900))), PRICE, Optional.empty(), 7,
            WORST, tally, unseen));
  }

  @Test
  void settlementTable() {
    OutputTally none = new OutputTally();
    OutputTally some = new OutputTally();
    some.add(4);
    long prompt = 7;
    // complete answers: what the provider reported
    assertEquals(new Charge(2, 3, 5_000, Basis.REPORTED),
        Settlement.charge(ended(200, Optional.empty(), Optional.of(new Usage(2, 3))), PRICE, Optional.empty(), prompt, WORST, some, Settlement.Unseen.NONE));
    // timeout: the worst case, fail closed; the tokens as seen
    assertEquals(new Charge(7, 0, WORST, Basis.WORST_CASE),
        Settlement.charge(ended(504, Optional.of(ParapetError.UPSTREAM_TIMEOUT), Optional.empty()), PRICE, Optional.empty(), prompt, WORST, none, Settlement.Unseen.NONE));
    // nothing can have been charged: released
    assertEquals(Charge.NOTHING, Settlement.charge(ended(429, Optional.empty(), Optional.empty()), PRICE, Optional.empty(), prompt, WORST, none, Settlement.Unseen.NONE));
    assertEquals(Charge.NOTHING,
        Settlement.charge(ended(502, Optional.of(ParapetError.UPSTREAM_ERROR), Optional.empty()), PRICE, Optional.empty(), prompt, WORST, none, Settlement.Unseen.NONE));
    assertEquals(Charge.NOTHING,
        Settlement.charge(ended(503, Optional.of(ParapetError.SERVICE_UNAVAILABLE), Optional.empty()), PRICE, Optional.empty(), prompt, WORST, none, Settlement.Unseen.NONE));
    // cut short: what was seen, never zero
    assertEquals(new Charge(7, 4, 11_000, Basis.COUNTED),
        Settlement.charge(ended(200, Optional.of(ParapetError.STREAM_TRUNCATED), Optional.empty()), PRICE, Optional.empty(), prompt, WORST, some, Settlement.Unseen.NONE));
    assertEquals(new Charge(7, 0, 7_000, Basis.COUNTED),
        Settlement.charge(ended(499, Optional.empty(), Optional.empty()), PRICE, Optional.empty(), prompt, WORST, none, Settlement.Unseen.NONE));
    assertEquals(new Charge(7, 4, 11_000, Basis.COUNTED),
        Settlement.charge(ended(200, Optional.of(ParapetError.UPSTREAM_ERROR), Optional.empty()), PRICE, Optional.empty(), prompt, WORST, some, Settlement.Unseen.NONE));
    assertEquals(new Charge(7, 0, 7_000, Basis.COUNTED),
        Settlement.charge(ended(200, Optional.empty(), Optional.empty()), PRICE, Optional.empty(), prompt, WORST, none, Settlement.Unseen.NONE));
    // drift refused: the provider charged it (its usage, or what was counted)
    assertEquals(new Charge(10, 5, 15_000, Basis.COUNTED),
        Settlement.charge(ended(502, Optional.of(ParapetError.MODEL_DRIFT), Optional.of(new Usage(10, 5))), PRICE, Optional.empty(), prompt, WORST, none, Settlement.Unseen.NONE));
    assertEquals(new Charge(7, 0, 7_000, Basis.COUNTED),
        Settlement.charge(ended(502, Optional.of(ParapetError.MODEL_DRIFT), Optional.empty()), PRICE, Optional.empty(), prompt, WORST, none, Settlement.Unseen.NONE));
    // a model that bills output it never sends (reasoning): without its usage, the worst case
    assertEquals(new Charge(7, 4, WORST, Basis.WORST_CASE),
        Settlement.charge(ended(200, Optional.of(ParapetError.STREAM_TRUNCATED), Optional.empty()), PRICE, Optional.empty(), prompt, WORST, some, Settlement.Unseen.UNTIL_USAGE));
    assertEquals(new Charge(7, 0, WORST, Basis.WORST_CASE),
        Settlement.charge(ended(499, Optional.empty(), Optional.empty()), PRICE, Optional.empty(), prompt, WORST, none, Settlement.Unseen.UNTIL_USAGE));
    // ... with it, the usage, which holds the reasoning; and what is released stays released
    assertEquals(new Charge(2, 3, 5_000, Basis.REPORTED),
        Settlement.charge(ended(200, Optional.empty(), Optional.of(new Usage(2, 3))), PRICE, Optional.empty(), prompt, WORST, some, Settlement.Unseen.UNTIL_USAGE));
    assertEquals(new Charge(10, 5, 15_000, Basis.COUNTED),
        Settlement.charge(ended(502, Optional.of(ParapetError.MODEL_DRIFT), Optional.of(new Usage(10, 5))), PRICE, Optional.empty(), prompt, WORST, none, Settlement.Unseen.UNTIL_USAGE));
    assertEquals(Charge.NOTHING,
        Settlement.charge(ended(502, Optional.of(ParapetError.UPSTREAM_ERROR), Optional.empty()), PRICE, Optional.empty(), prompt, WORST, none, Settlement.Unseen.UNTIL_USAGE));
    // encrypted thinking (Anthropic's redacted_thinking): short of a complete answer, the worst case,
    // though Anthropic's message_start reported a partial usage; a complete answer's usage holds it
    OutputTally encrypted = new OutputTally();
    encrypted.add(4);
    encrypted.uncountedOutput();
    assertKnownOnlyFromACompleteAnswer(encrypted, Settlement.Unseen.NONE);
    // thinking Claude 4 streams summarized: the same
    assertKnownOnlyFromACompleteAnswer(some, Settlement.Unseen.UNTIL_COMPLETE);
    // a 2xx answer that could not be read (too large, malformed): billed, nothing of it known
    OutputTally unread = new OutputTally();
    unread.uncountedOutput();
    assertEquals(new Charge(7, 0, WORST, Basis.WORST_CASE),
        Settlement.charge(ended(502, Optional.of(ParapetError.UPSTREAM_ERROR), Optional.empty()), PRICE, Optional.empty(),
            prompt, WORST, unread, Settlement.Unseen.NONE));
  }
}
