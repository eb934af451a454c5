package dev.parapet.core.config;

import java.util.regex.Pattern;

/**
 * The shapes of names in a spec. These patterns run only on operator-written config at build
 * time (never on caller input) and are anchored with no nested quantifiers, so they cannot
 * backtrack badly.
 */
public final class Names {
  /** Routes, tenants and service labels: {@code [a-z0-9][a-z0-9_-]{0,62}} (SPEC §2). */
  public static final Pattern IDENTIFIER = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  /** Usernames of {@code users[]}: no colon (HTTP basic auth splits on the first one). */
  public static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
  /** Secret reference names: environment-variable shaped. */
  public static final Pattern SECRET_REF = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  private Names() {}

  public static String requireMatch(Pattern pattern, String field, String value) {
    if (value == null || !pattern.matcher(value).matches()) {
      throw new IllegalArgumentException(
          field + ": " + Quoting.quote(value) + " (expected: " + pattern.pattern() + ")");
    }
    return value;
  }
}
