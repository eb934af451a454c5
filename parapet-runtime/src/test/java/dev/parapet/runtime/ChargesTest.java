package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.parapet.runtime.provider.Usage;
import dev.parapet.runtime.testing.TestConfigs;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The hand-off of a call's charge from its settlement to the recorders. */
class ChargesTest {
  private static RequestCompleted completed(String id, Optional<Usage> usage) {
    return new RequestCompleted(id, Optional.empty(), 200, Optional.empty(), usage, Optional.empty(), 0);
  }

  /** A forwarded call's completion: it has a request, so an announced charge is looked up. */
  private static RequestCompleted forwarded(String id) {
    GatewayRequest request = new GatewayRequest(id, TestConfigs.config().spec().services().get(0),
        TestConfigs.route("summarizer", "prod", "echo-1"), JsonNodeFactory.instance.objectNode(), false, true, 0);
    return new RequestCompleted(id, Optional.of(request), 200, Optional.empty(), Optional.of(new Usage(1, 1)),
        Optional.empty(), 0);
  }

  @Test
  void aCallNoBudgetAnnouncedIsReadAtOnceOnItsReportedUsage() {
    Charges charges = new Charges();
    List<Charge> seen = new ArrayList<>();
    charges.whenCharged(completed("a", Optional.of(new Usage(3, 4))), (r, u) -> 99, seen::add);
    charges.whenCharged(completed("b", Optional.empty()), (r, u) -> 99, seen::add);
    // no request: nothing to price it by
    assertEquals(List.of(new Charge(3, 4, 0, Charge.Basis.REPORTED), Charge.NOTHING), seen);
  }

  @Test
  void everyReaderGetsTheSettledChargeOnceAndTheEntryIsGone() throws Exception {
    Charges charges = new Charges();
    charges.expect("a");
    charges.expect("b");
    List<Charge> seen = new CopyOnWriteArrayList<>();
    Charge counted = new Charge(7, 2, 9_000, Charge.Basis.COUNTED);
    charges.whenCharged(forwarded("a"), (r, u) -> 99, seen::add);
    charges.whenCharged(forwarded("a"), (r, u) -> 99, seen::add);
    assertEquals(List.of(), seen, "nothing before the settlement");
    CountDownLatch done = new CountDownLatch(1);
    Thread settler = new Thread(() -> {
      charges.settle("a", counted);
      done.countDown();
    });
    settler.start();
    assertEquals(true, done.await(5, TimeUnit.SECONDS));
    assertEquals(List.of(counted, counted), seen);
    charges.settle("a", Charge.NOTHING); // a second settlement finds nobody
    assertEquals(2, seen.size());
    List<Charge> late = new ArrayList<>();
    charges.whenCharged(forwarded("a"), (r, u) -> 99, late::add);
    assertEquals(List.of(new Charge(1, 1, 99, Charge.Basis.REPORTED)), late,
        "after its settlement a call reads as unannounced: its reported usage, priced");
    assertEquals(1, charges.size(), "b is still announced");
    charges.settle("b", Charge.NOTHING);
    assertEquals(0, charges.size());
  }
}
