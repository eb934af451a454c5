package dev.parapet.runtime.policy;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hands one call's {@link OutputTally} from the budget handler (policy group, which opens it
 * before forwarding and closes it on the request's completion) to the answer-side observer the
 * upstream stage makes for the same request. Keyed by the request id, which is random per request.
 */
public final class OutputTallies {
  private final Map<String, OutputTally> open = new ConcurrentHashMap<>();

  public OutputTally open(String requestId) {
    return open.computeIfAbsent(requestId, k -> new OutputTally());
  }

  /** The open tally, or a detached one when no budget handler opened it (nothing settles on it). */
  public OutputTally get(String requestId) {
    OutputTally t = open.get(requestId);
    return t != null ? t : new OutputTally();
  }

  public void close(String requestId) {
    open.remove(requestId);
  }

  /** Tallies open right now (a test's leak check). */
  public int size() {
    return open.size();
  }
}
