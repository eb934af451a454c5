package dev.parapet.core.seal;

import java.util.Optional;

/**
 * Where the build step finds the value behind a {@code *_ref} name: the environment, a dotenv
 * file, a terminal prompt. Returns a fresh {@code char[]} the {@link Hydrator} zeroes after use,
 * or empty when the ref is not defined.
 */
@FunctionalInterface
public interface SecretSource {
  Optional<char[]> resolve(String refName);
}
