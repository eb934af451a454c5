package dev.parapet.build;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.SecretValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares the secrets of two configs per ref name, printing only whether each changed. Provider
 * keys are compared in constant time ({@link SecretValue#equals}); tokens by their digests;
 * passwords by their Argon2id hashes, whose salt is derived from the username, so an unchanged
 * password of an unchanged user compares equal.
 */
final class SecretComparison {
  private SecretComparison() {}

  static List<String> compare(HydratedConfig older, HydratedConfig newer) {
    TreeSet<String> refs = new TreeSet<>(older.spec().secretRefs());
    refs.addAll(newer.spec().secretRefs());
    List<String> lines = new ArrayList<>();
    for (String ref : refs) {
      boolean inOld = older.spec().secretRefs().contains(ref);
      boolean inNew = newer.spec().secretRefs().contains(ref);
      if (!inOld) {
        lines.add("+ secrets." + ref);
      } else if (!inNew) {
        lines.add("- secrets." + ref);
      } else {
        lines.add("secrets." + ref + ": " + (same(ref, older, newer) ? "unchanged" : "changed"));
      }
    }
    return lines;
  }

  private static boolean same(String ref, HydratedConfig a, HydratedConfig b) {
    SecretValue keyA = a.providerKeys().get(ref);
    SecretValue keyB = b.providerKeys().get(ref);
    if (keyA != null || keyB != null) {
      if (keyA == null || keyB == null || !keyA.equals(keyB)) {
        return false;
      }
    }
    return fingerprints(ref, a).equals(fingerprints(ref, b));
  }

  /**
   * What is stored for {@code ref} as a token or a password. Token digests depend on the token
   * only, so they are compared as a set (renaming a service is not a token change); password
   * hashes are salted by username, so they are keyed by it.
   */
  private static Map<String, Object> fingerprints(String ref, HydratedConfig c) {
    ParapetSpec spec = c.spec();
    Map<String, Object> out = new TreeMap<>();
    TreeSet<String> digests = new TreeSet<>();
    spec.services().stream()
        .filter(s -> s.parapetTokenRef().equals(ref))
        .forEach(s -> digests.add(Objects.toString(c.serviceTokenDigests().get(s.label()))));
    out.put("tokens", digests);
    spec.users().stream()
        .filter(u -> u.passwordRef().equals(ref))
        .forEach(u -> out.put("user:" + u.username(), Objects.toString(c.passwordHashes().get(u.username()))));
    return out;
  }
}
