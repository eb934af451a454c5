package dev.parapet.build;

import java.util.List;

/**
 * A command could not do its job (invalid spec, missing secret, wrong key, bad blob, IO failure):
 * exit 1. Every line is printed to stderr as given, so messages must already be free of secret
 * values — they name refs, paths and line numbers, never contents.
 */
final class CommandFailure extends Exception {
  private final List<String> lines;

  CommandFailure(String message) {
    this(List.of(message));
  }

  CommandFailure(List<String> lines) {
    super(lines.isEmpty() ? "failed" : lines.get(0), null, false, false);
    this.lines = List.copyOf(lines);
  }

  /**
   * An IO failure on a file the operator named: the path and a plain reason, never the exception's
   * own text (which for some file systems includes more than the path).
   */
  static CommandFailure io(String shown, String doing, java.io.IOException e) {
    String why;
    if (e instanceof AtomicWrite.Unwritable) {
      why = e.getMessage(); // a fixed reason of ours, no path or content
    } else if (e instanceof java.nio.file.NoSuchFileException) {
      why = "no such file or directory";
    } else if (e instanceof java.nio.file.AccessDeniedException) {
      why = "permission denied";
    } else if (e instanceof java.nio.file.FileAlreadyExistsException) {
      why = "already exists";
    } else {
      why = e.getClass().getSimpleName();
    }
    return new CommandFailure(shown + ": cannot " + doing + " (" + why + ")");
  }

  List<String> lines() {
    return lines;
  }
}
