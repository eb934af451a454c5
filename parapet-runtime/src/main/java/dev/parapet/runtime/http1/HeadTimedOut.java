package dev.parapet.runtime.http1;

/**
 * A user event fired by {@link HeadCheckingDecoder} just before it closes a connection whose
 * request head did not arrive whole in time (slowloris). No request began, so no {@code
 * RequestCompleted} follows: this is how the metrics still count it (as a 408 nobody was sent).
 */
public record HeadTimedOut() {}
