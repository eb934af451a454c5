package dev.parapet.core.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a {@code users[]} entry may read on the read-only surfaces. */
public enum Role {
  /** Everything: usage, events, metrics. */
  ADMIN,
  /** Usage and metrics; not the enforcement event log. */
  VIEWER;

  public String yamlName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Role> fromYaml(String s) {
    return Arrays.stream(values()).filter(t -> t.yamlName().equals(s)).findFirst();
  }
}
