package dev.parapet.runtime.admin;

import dev.parapet.core.config.Role;
import dev.parapet.core.config.User;
import dev.parapet.core.seal.PasswordHash;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks a {@code users[]} login against its Argon2id hash (tens of milliseconds: call it off the
 * event loop). An unknown user is checked against a dummy hash with the same parameters (see
 * {@link PasswordHash#unmatchable}), so the
 * time taken does not tell whether the user exists. Counts every Argon2id run, for the metric
 * that shows the login cache works.
 */
final class PasswordCheck {
  private record Account(Role role, String hash) {}

  private final Map<String, Account> accounts = new HashMap<>();
  private final String dummyHash;
  private final AtomicLong runs = new AtomicLong();

  /**
   * @param users the spec's users
   * @param hashes username to its Argon2id PHC string
   */
  PasswordCheck(List<User> users, Map<String, String> hashes) {
    for (User u : users) {
      String hash = hashes.get(u.username());
      if (hash != null) {
        accounts.put(u.username(), new Account(u.role(), hash));
      }
    }
    // Same parameters, salt and hash lengths as a real user's hash, so checking an unknown user
    // costs one identical Argon2id run; made without running Argon2id (boot time).
    this.dummyHash = PasswordHash.unmatchable("parapet-no-such-user", new SecureRandom());
  }

  /** The user's role if the password is right; blocks for one Argon2id run either way. */
  Optional<Role> verify(String username, byte[] passwordUtf8) {
    Account a = accounts.get(username);
    runs.incrementAndGet();
    boolean ok = PasswordHash.verifyUtf8(passwordUtf8, a == null ? dummyHash : a.hash());
    return ok && a != null ? Optional.of(a.role()) : Optional.empty();
  }

  /** Argon2id runs so far. */
  long runs() {
    return runs.get();
  }
}
