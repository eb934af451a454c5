package dev.parapet.core.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a route does when a redaction pattern matches a prompt. */
public enum RedactionMode {
  /** Replace each match with {@code [REDACTED:<PATTERN>]} and forward. */
  WARN,
  /** Refuse the call with 422; nothing is sent upstream. */
  BLOCK,
  /** Do not scan. */
  OFF;

  public String yamlName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<RedactionMode> fromYaml(String s) {
    return Arrays.stream(values()).filter(t -> t.yamlName().equals(s)).findFirst();
  }
}
