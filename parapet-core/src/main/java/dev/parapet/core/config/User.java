package dev.parapet.core.config;

import java.util.Objects;

/** A human reader of the read-only surfaces ({@code users[]}). */
public record User(String username, Role role, String passwordRef) {
  public User {
    Names.requireMatch(Names.USERNAME, "username", username);
    Objects.requireNonNull(role, "role");
    Names.requireMatch(Names.SECRET_REF, "password_ref", passwordRef);
  }
}
