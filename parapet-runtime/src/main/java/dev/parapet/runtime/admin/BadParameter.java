package dev.parapet.runtime.admin;

/** A query parameter of a read-only surface that is not what it should be: 400 naming it. */
final class BadParameter extends Exception {
  private static final long serialVersionUID = 1L;

  BadParameter(String message) {
    super(message, null, false, false);
  }
}
