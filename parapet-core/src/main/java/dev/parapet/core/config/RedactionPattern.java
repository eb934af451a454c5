package dev.parapet.core.config;

import java.util.Arrays;
import java.util.Optional;

/** The built-in redaction patterns of SPEC §2. The YAML spelling is the constant's name. */
public enum RedactionPattern {
  EMAIL,
  /** Provider-style keys: {@code sk-…}, {@code sk-ant-…}, {@code AKIA…}, {@code ghp_…}, {@code xox[bp]-…}. */
  API_KEY,
  BEARER_TOKEN,
  JWT,
  /** PEM private key blocks. */
  PRIVATE_KEY,
  /** Luhn-valid card numbers. */
  CREDIT_CARD,
  IPV4;

  public static Optional<RedactionPattern> fromYaml(String s) {
    return Arrays.stream(values()).filter(t -> t.name().equals(s)).findFirst();
  }
}
