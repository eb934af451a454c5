package dev.parapet.runtime.upstream;

/** For tests outside this package: holds this package's large work on its policy thread. */
public final class OffLoopHooks {
  private OffLoopHooks() {}

  /** {@code hook} runs on the policy thread before each large streamed event is worked on; null removes it. */
  public static void beforeLargeEvent(Runnable hook) {
    StreamedAnswer.beforeOffLoopEventForTest = hook;
  }

  /** {@code hook} runs on the policy thread before each large whole answer is read; null removes it. */
  public static void beforeLargeAnswer(Runnable hook) {
    BufferedAnswer.beforeOffLoopReadForTest = hook;
  }
}
