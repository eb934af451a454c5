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

  List<String> lines() {
    return lines;
  }
}
