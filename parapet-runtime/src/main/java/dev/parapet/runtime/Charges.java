package dev.parapet.runtime;

import dev.parapet.runtime.provider.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.ToLongBiFunction;

/**
 * Hands each forwarded call's {@link Charge} from the budget's settlement to the recorders (the
 * telemetry row, the metrics), so that what a row says a call cost is what the caps were charged.
 *
 * <p>The recorders see a request's {@link RequestCompleted} before the budget handler does (they
 * sit ahead of the policy group), and a settlement may wait further for a policy thread still
 * counting the answer (see {@code OutputTally#whenFree}). So the budget handler {@linkplain #expect
 * announces} a charge when it forwards a call, and a recorder that finds one announced {@linkplain
 * #whenCharged waits} for it. A call no budget handler forwarded (refused before the hold, or a
 * gateway built without one) is recorded at once on the usage its provider reported.
 *
 * <p>Keyed by the request id, which is random per request. A settlement that never comes (the
 * gateway stops while a policy thread still holds the answer) leaves its entry and its row
 * unwritten; the next boot settles the hold at its worst case.
 */
public final class Charges {
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();

  /** The budget handler forwards this call: its charge will be {@linkplain #settle settled}. */
  public void expect(String requestId) {
    pending.put(requestId, new Pending());
  }

  /** The call's settlement: every recorder that waited for it records now, on this thread. */
  public void settle(String requestId, Charge charge) {
    Pending p = pending.remove(requestId);
    if (p != null) {
      p.settle(charge);
    }
  }

  /**
   * Runs {@code reader} with the call's charge: once settled when the budget handler announced one
   * (now, if it already was), else at once with the usage the provider reported, priced by {@code
   * price} (nothing reported: {@link Charge#NOTHING}).
   */
  public void whenCharged(RequestCompleted c, ToLongBiFunction<GatewayRequest, Usage> price, Consumer<Charge> reader) {
    Pending p = c.request().isPresent() ? pending.get(c.requestId()) : null;
    if (p != null) {
      p.await(reader);
    } else {
      reader.accept(reported(c, price));
    }
  }

  /** {@code c}'s reported usage priced by {@code price}, or {@link Charge#NOTHING}. */
  public static Charge reported(RequestCompleted c, ToLongBiFunction<GatewayRequest, Usage> price) {
    if (c.usage().isEmpty()) {
      return Charge.NOTHING;
    }
    Usage u = c.usage().get();
    return Charge.reported(u, c.request().map(r -> price.applyAsLong(r, u)).orElse(0L));
  }

  /** Charges announced and not settled yet (tests' leak checks). */
  public int size() {
    return pending.size();
  }

  /** One announced charge and the recorders waiting for it (at most one per recorder). */
  private static final class Pending {
    private final List<Consumer<Charge>> readers = new ArrayList<>(2);
    private Charge charge;

    /** Runs {@code reader} once settled: now, if it already is. */
    void await(Consumer<Charge> reader) {
      Charge known;
      synchronized (this) {
        known = charge;
        if (known == null) {
          readers.add(reader);
          return;
        }
      }
      reader.accept(known);
    }

    void settle(Charge c) {
      List<Consumer<Charge>> waiting;
      synchronized (this) {
        charge = c;
        waiting = List.copyOf(readers);
        readers.clear();
      }
      for (Consumer<Charge> reader : waiting) {
        reader.accept(c);
      }
    }
  }
}
