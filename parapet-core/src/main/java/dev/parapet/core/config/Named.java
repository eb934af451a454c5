package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Mark;

/**
 * A name read from the spec (a tenant, a route, a secret ref…) with where it was written, so
 * cross-reference problems can point at the exact spot.
 */
record Named(String value, String path, Mark mark) {
  /** Hints shown for names, also used by {@code --fill} prompts. */
  static final String IDENTIFIER_HINT =
      "a name like prod: lower-case letters, digits, _ or -, at most 63 characters";
  static final String USERNAME_HINT = "a username: letters, digits, . _ @ or -, at most 64 characters";
  static final String SECRET_REF_HINT = "a secret reference name like OPENAI_KEY_PROD";
}
