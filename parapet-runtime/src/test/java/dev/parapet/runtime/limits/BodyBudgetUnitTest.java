package dev.parapet.runtime.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BodyBudgetUnitTest {
  private final List<String> admitted = new ArrayList<>();

  private BodyBudget.Waiter waiter(String name, long bytes) {
    return new BodyBudget.Waiter() {
      @Override
      public long bytes() {
        return bytes;
      }

      @Override
      public void admitted() {
        admitted.add(name);
      }
    };
  }

  @Test
  void waitersAreAdmittedInOrderAndALargeOneIsNotOvertaken() {
    BodyBudget b = new BodyBudget(100);
    assertTrue(b.reserveOrWait(waiter("a", 60)));
    BodyBudget.Waiter big = waiter("big", 90);
    assertFalse(b.reserveOrWait(big));
    // 10 bytes would fit beside a, but big waits first: small ones queue behind it.
    assertFalse(b.reserveOrWait(waiter("small", 10)));
    assertEquals(2, b.waiting());
    b.release(60);
    assertEquals(List.of("big", "small"), admitted);
    assertEquals(100, b.usedBytes());
    b.release(90);
    b.release(10);
    assertEquals(0, b.usedBytes());
  }

  @Test
  void aWaiterWhoLeavesIsNeverAdmitted() {
    BodyBudget b = new BodyBudget(100);
    assertTrue(b.reserveOrWait(waiter("a", 100)));
    BodyBudget.Waiter gone = waiter("gone", 50);
    assertFalse(b.reserveOrWait(gone));
    assertFalse(b.reserveOrWait(waiter("next", 50)));
    assertTrue(b.leave(gone));
    assertFalse(b.leave(gone), "once");
    b.release(100);
    assertEquals(List.of("next"), admitted);
    assertEquals(50, b.usedBytes());
  }
}
