package dev.parapet.runtime.upstream;

/** For tests outside this package: holds a large streamed event on its policy thread. */
public final class StreamEventHook {
  private StreamEventHook() {}

  /** {@code hook} runs on the policy thread before each large event is worked on; null removes it. */
  public static void beforeLargeEvent(Runnable hook) {
    StreamedAnswer.beforeOffLoopEventForTest = hook;
  }
}
