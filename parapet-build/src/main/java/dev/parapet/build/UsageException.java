package dev.parapet.build;

/** The command line itself is wrong (unknown command or flag, missing value): exit 2. */
final class UsageException extends Exception {
  UsageException(String message) {
    super(message, null, false, false);
  }
}
