package dev.parapet.build;

/** Placeholder until the validator lands. */
final class SpecCheck {
  private SpecCheck() {}

  static void requireValid(String yaml, String shown) throws CommandFailure {}
}
