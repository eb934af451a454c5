package dev.parapet.runtime.provider;

import java.util.Optional;

/**
 * One Server-Sent Event (WHATWG HTML §9.2): an optional {@code event:} type and its {@code data:}
 * lines joined with {@code \n}. Comments, {@code id:} and {@code retry:} are not kept.
 */
public record SseEvent(Optional<String> event, String data) {
  public static SseEvent data(String data) {
    return new SseEvent(Optional.empty(), data);
  }
}
