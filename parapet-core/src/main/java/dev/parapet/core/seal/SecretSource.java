package dev.parapet.core.seal;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the build step finds the value behind a {@code *_ref} name: the environment, a dotenv
 * file, a terminal prompt. Returns a fresh {@code char[]} the {@link Hydrator} zeroes after use,
 * or empty when the ref is not defined.
 */
@FunctionalInterface
public interface SecretSource {
  Optional<char[]> resolve(String refName);

  /**
   * A source over values that already exist as Strings ({@code System.getenv()}, a parsed dotenv
   * file). Each call hands out a fresh array; the Strings themselves cannot be zeroed.
   */
  static SecretSource of(Map<String, String> values) {
    Objects.requireNonNull(values, "values");
    return ref -> Optional.ofNullable(values.get(ref)).map(String::toCharArray);
  }
}
