package dev.parapet.core.seal;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.User;
import java.nio.CharBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * The build step's join of a spec and its secrets: resolves every {@code *_ref}, keeps provider
 * keys as {@link SecretValue}s, reduces service tokens to {@link TokenDigest}s and passwords to
 * {@link PasswordHash}es, and zeroes every {@code char[]} it was handed.
 *
 * <p>It refuses, naming every problem at once: refs with no or an empty value; two services with
 * the same token (the gateway identifies a service by its token, so it could not tell them apart);
 * a service token equal to a provider key (a leaked caller token would then be a provider key);
 * a service token no caller could present as a bearer token (see {@link TokenDigest#isPresentable});
 * a provider key that cannot be sent in a request header (a control character, such as the line
 * break a quoted {@code "\n"} in a dotenv file gives).
 * Argon2id runs once per user here, which takes tens of milliseconds each.
 */
public final class Hydrator {
  static final int MIN_TOKEN_LENGTH = 32;
  static final int MIN_PASSWORD_LENGTH = 12;

  private Hydrator() {}

  public static Hydration hydrate(ParapetSpec spec, SecretSource source)
      throws MissingSecretsException {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(source, "source");
    Map<String, char[]> values = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    try {
      for (String ref : spec.secretRefs()) {
        Optional<char[]> value = Objects.requireNonNullElse(source.resolve(ref), Optional.empty());
        if (value.isEmpty() || isBlank(value.get())) {
          value.ifPresent(v -> Arrays.fill(v, '\0'));
          missing.add(ref);
        } else {
          values.put(ref, value.get());
        }
      }
      List<String> conflicts = conflicts(spec, values);
      if (!missing.isEmpty() || !conflicts.isEmpty()) {
        throw new MissingSecretsException(missing, conflicts);
      }
      return new Hydration(config(spec, values), warnings(spec, values));
    } finally {
      values.values().forEach(v -> Arrays.fill(v, '\0'));
    }
  }

  private static HydratedConfig config(ParapetSpec spec, Map<String, char[]> values) {
    Map<String, SecretValue> keys = new LinkedHashMap<>();
    for (Route r : spec.routes()) {
      r.provider().providerKeyRef()
          .ifPresent(ref -> keys.computeIfAbsent(ref, k -> SecretValue.ofChars(values.get(k))));
    }
    Map<String, String> digests = new LinkedHashMap<>();
    for (Service s : spec.services()) {
      byte[] token = PasswordHash.utf8(values.get(s.parapetTokenRef()));
      try {
        digests.put(s.label(), TokenDigest.of(token));
      } finally {
        Arrays.fill(token, (byte) 0);
      }
    }
    Map<String, String> hashes = new LinkedHashMap<>();
    for (User u : spec.users()) {
      hashes.put(u.username(), PasswordHash.hash(values.get(u.passwordRef()), u.username()));
    }
    return new HydratedConfig(spec, keys, digests, hashes);
  }

  private static List<String> conflicts(ParapetSpec spec, Map<String, char[]> values) {
    List<String> out = new ArrayList<>();
    List<Service> services = spec.services();
    for (int i = 0; i < services.size(); i++) {
      for (int j = i + 1; j < services.size(); j++) {
        Service a = services.get(i);
        Service b = services.get(j);
        char[] va = values.get(a.parapetTokenRef());
        char[] vb = values.get(b.parapetTokenRef());
        if (a.parapetTokenRef().equals(b.parapetTokenRef())) {
          out.add("services " + a.label() + " and " + b.label() + " share the token ref "
              + a.parapetTokenRef() + "; give each service its own token");
        } else if (va != null && vb != null && equal(va, vb)) {
          out.add("services " + a.label() + " (" + a.parapetTokenRef() + ") and " + b.label()
              + " (" + b.parapetTokenRef() + ") have the same token; give each service its own");
        }
      }
    }
    Set<String> keyRefs = new LinkedHashSet<>();
    spec.routes().forEach(r -> r.provider().providerKeyRef().ifPresent(keyRefs::add));
    Set<String> tokenRefs = new LinkedHashSet<>();
    services.forEach(s -> tokenRefs.add(s.parapetTokenRef()));
    for (String keyRef : keyRefs) {
      char[] key = values.get(keyRef);
      if (key != null) {
        providerKeyProblem(keyRef, CharBuffer.wrap(key).chars()).ifPresent(out::add);
      }
    }
    for (String tokenRef : tokenRefs) {
      char[] token = values.get(tokenRef);
      if (token != null && !TokenDigest.isPresentable(CharBuffer.wrap(token))) {
        out.add(tokenRef + " cannot be sent as a bearer token (expected: 1 to "
            + TokenDigest.MAX_TOKEN_CHARS + " visible ASCII characters, no spaces or control"
            + " characters); the value is not shown");
      }
    }
    for (String tokenRef : tokenRefs) {
      for (String keyRef : keyRefs) {
        char[] token = values.get(tokenRef);
        char[] key = values.get(keyRef);
        if (tokenRef.equals(keyRef)) {
          out.add(tokenRef + " is used both as a service token and as a provider key;"
              + " a service token must not be a provider key");
        } else if (token != null && key != null && equal(token, key)) {
          out.add(tokenRef + " has the same value as the provider key " + keyRef
              + "; a service token must not be a provider key");
        }
      }
    }
    return out;
  }

  private static List<String> warnings(ParapetSpec spec, Map<String, char[]> values) {
    List<String> out = new ArrayList<>();
    Set<String> tokenRefs = new LinkedHashSet<>();
    spec.services().forEach(s -> tokenRefs.add(s.parapetTokenRef()));
    for (String ref : tokenRefs) {
      int n = values.get(ref).length;
      if (n < MIN_TOKEN_LENGTH) {
        out.add(ref + " is " + n + " characters; use at least " + MIN_TOKEN_LENGTH
            + " random characters");
      }
    }
    Set<String> passwordRefs = new LinkedHashSet<>();
    spec.users().forEach(u -> passwordRefs.add(u.passwordRef()));
    for (String ref : passwordRefs) {
      int n = values.get(ref).length;
      if (n < MIN_PASSWORD_LENGTH) {
        out.add(ref + " is " + n + " characters; use at least " + MIN_PASSWORD_LENGTH);
      }
    }
    values.forEach((ref, v) -> {
      if (Character.isWhitespace(v[0]) || Character.isWhitespace(v[v.length - 1])) {
        out.add(ref + " starts or ends with whitespace; it is used exactly as given");
      }
    });
    return out;
  }

  /**
   * Why the provider key {@code keyRef} resolved to cannot be used, naming the ref, never the
   * value; empty when it can. The build refuses such a key; the runtime applies the same rule at
   * boot to a blob sealed by a build that did not.
   *
   * <p>A provider key is sent as {@code Authorization: Bearer <key>} or {@code x-api-key: <key>}. A
   * header value holds no control characters (RFC 9110 §5.5) and Netty refuses one that does, so
   * such a key would fail every call of its route; non-ASCII would be sent as some other bytes.
   */
  public static Optional<String> providerKeyProblem(String keyRef, SecretValue key) {
    byte[] utf8 = key.utf8();
    try {
      // UTF-8 encodes every non-ASCII character as bytes >= 0x80: the rule reads bytes as chars.
      return providerKeyProblem(keyRef, IntStream.range(0, utf8.length).map(i -> utf8[i] & 0xff));
    } finally {
      Arrays.fill(utf8, (byte) 0);
    }
  }

  /** The rule itself, over the key's chars (at build) or its UTF-8 bytes (in a sealed blob). */
  private static Optional<String> providerKeyProblem(String keyRef, IntStream units) {
    if (units.allMatch(c -> c >= 0x20 && c <= 0x7e)) {
      return Optional.empty();
    }
    return Optional.of(keyRef + " cannot be sent in a request header (expected: printable ASCII,"
        + " no control characters such as a line break); the value is not shown");
  }

  private static boolean isBlank(char[] v) {
    for (char c : v) {
      if (!Character.isWhitespace(c)) {
        return false;
      }
    }
    return true;
  }

  /** Compares without building Strings (which could not be zeroed). */
  private static boolean equal(char[] a, char[] b) {
    byte[] x = PasswordHash.utf8(a);
    byte[] y = PasswordHash.utf8(b);
    try {
      return MessageDigest.isEqual(x, y);
    } finally {
      Arrays.fill(x, (byte) 0);
      Arrays.fill(y, (byte) 0);
    }
  }
}
