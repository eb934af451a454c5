package dev.parapet.build;

/**
 * Asks the operator one question at a time. Two forms exist because a terminal and a pipe need
 * different handling: on a terminal secrets are read without echo ({@link ConsolePrompter}); from
 * a pipe or a test, answers are plain lines ({@link StreamPrompter}). Prompts never go to stdout,
 * which carries data (the env lines of {@code build}, the YAML of {@code validate --fill}).
 */
interface Prompter {

  /**
   * Shows {@code prompt} and returns the answer line without its line terminator.
   *
   * @throws CommandFailure "input ended" when there is no more input
   */
  String line(String prompt) throws CommandFailure;

  /**
   * Shows {@code prompt} and reads a secret without echoing it where the terminal allows. The
   * caller zeroes the returned array.
   *
   * @throws CommandFailure "input ended" when there is no more input
   */
  char[] secret(String prompt) throws CommandFailure;

  /** Prints an informational line where the prompts go (a retry reason, a section header). */
  void say(String message);

  static CommandFailure inputEnded() {
    return new CommandFailure("input ended before all questions were answered");
  }
}
