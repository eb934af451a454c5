package dev.parapet.runtime.policy;

import dev.parapet.core.store.EventKind;
import dev.parapet.core.store.EventRecord;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.GatewayRequest;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where the policies record what they enforced (SPEC §4 events). Details are counts, pattern
 * names, model ids and reasons — never a matched text, a prompt or an answer. Recording never
 * blocks: the store queues the row and sheds it (counted) when its queue is full.
 */
@FunctionalInterface
public interface EnforcementEvents {
  EnforcementEvents NONE = r -> {};

  void record(EventRecord event);

  /** Records the event and notes it on the request's telemetry row ({@link #note}). */
  default void record(GatewayRequest request, EventKind kind, Map<String, String> details) {
    request.note(note(kind, details));
    record(new EventRecord(Instant.now(), request.requestId(), kind, request.route().tenant(),
        Optional.of(request.service().label()), Optional.of(request.route().name()), details));
  }

  /**
   * The row's note for an event: its kind, then the reason and the pattern it names, if any
   * ({@code stream_truncated:scan_output:CREDIT_CARD}, {@code redaction_blocked:EMAIL}); the event keeps
   * the rest (counts, caps, models).
   */
  static String note(EventKind kind, Map<String, String> details) {
    StringBuilder note = new StringBuilder(kind.wireName());
    for (String key : new String[] {"reason", "pattern"}) {
      String value = details.get(key);
      if (value != null) {
        note.append(':').append(value);
      }
    }
    return note.toString();
  }

  static EnforcementEvents into(TelemetryStore store) {
    return store::offerEvent;
  }

  static EnforcementEvents into(Consumer<EventRecord> sink) {
    return sink::accept;
  }
}
