package dev.parapet.core.config;

import java.math.BigDecimal;
import java.util.Objects;

/** USD per one million tokens, input and output. */
public record Pricing(BigDecimal inputPer1mUsd, BigDecimal outputPer1mUsd) {
  public static final Pricing FREE = new Pricing(BigDecimal.ZERO, BigDecimal.ZERO);

  public Pricing {
    Objects.requireNonNull(inputPer1mUsd, "input_per_1m_usd");
    Objects.requireNonNull(outputPer1mUsd, "output_per_1m_usd");
    if (inputPer1mUsd.signum() < 0) {
      throw new IllegalArgumentException("input_per_1m_usd: " + inputPer1mUsd + " (expected: >= 0)");
    }
    if (outputPer1mUsd.signum() < 0) {
      throw new IllegalArgumentException("output_per_1m_usd: " + outputPer1mUsd + " (expected: >= 0)");
    }
    inputPer1mUsd = inputPer1mUsd.stripTrailingZeros();
    outputPer1mUsd = outputPer1mUsd.stripTrailingZeros();
  }
}
