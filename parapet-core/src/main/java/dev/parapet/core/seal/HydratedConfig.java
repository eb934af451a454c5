package dev.parapet.core.seal;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the sealed blob holds: the validated spec plus the secrets its {@code *_ref}s resolved to,
 * in the only forms Parapet keeps them.
 *
 * @param providerKeys provider key by its {@code provider_key_ref} name: the only recoverable secrets
 * @param serviceTokenDigests service label to the digest of its bearer token (see {@code TokenDigest})
 * @param passwordHashes username to the Argon2id hash of the user's password (see {@code PasswordHash})
 */
public record HydratedConfig(
    ParapetSpec spec,
    Map<String, SecretValue> providerKeys,
    Map<String, String> serviceTokenDigests,
    Map<String, String> passwordHashes) {

  public HydratedConfig {
    Objects.requireNonNull(spec, "spec");
    providerKeys = java.util.Collections.unmodifiableMap(new TreeMap<>(providerKeys));
    serviceTokenDigests = java.util.Collections.unmodifiableMap(new TreeMap<>(serviceTokenDigests));
    passwordHashes = java.util.Collections.unmodifiableMap(new TreeMap<>(passwordHashes));
  }

  /** The key injected upstream for {@code route}; empty for echo and key-less local routes. */
  public Optional<SecretValue> providerKey(Route route) {
    return route.provider().providerKeyRef().map(providerKeys::get);
  }

  /**
   * The service whose bearer token is {@code presentedUtf8}, if any. Compares against every
   * service's digest without stopping at a match, with {@link java.security.MessageDigest#isEqual},
   * so the time taken says nothing about which service or how close the token came.
   */
  public Optional<Service> serviceForToken(byte[] presentedUtf8) {
    Objects.requireNonNull(presentedUtf8, "presentedUtf8");
    String presented = TokenDigest.of(presentedUtf8);
    byte[] p = presented.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    String found = null;
    for (Map.Entry<String, String> e : serviceTokenDigests.entrySet()) {
      byte[] stored = e.getValue().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      if (java.security.MessageDigest.isEqual(p, stored) && found == null) {
        found = e.getKey();
      }
    }
    return found == null ? Optional.empty() : spec.service(found);
  }

  /** Zeroes every recoverable secret held here. */
  public void destroySecrets() {
    providerKeys.values().forEach(SecretValue::destroy);
  }

  @Override
  public String toString() {
    return "HydratedConfig[spec=" + spec + ", providerKeys=" + providerKeys.keySet()
        + ", serviceTokenDigests=" + serviceTokenDigests.keySet()
        + ", passwordHashes=" + passwordHashes.keySet() + "]";
  }
}
