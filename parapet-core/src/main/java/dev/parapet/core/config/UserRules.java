package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.Node;

/** {@code users[]}: the humans who may read usage, events and metrics. */
final class UserRules {
  static final List<String> KEYS = List.of("username", "role", "password_ref");
  static final String ROLE_HINT = "one of: admin, viewer";

  record Entry(Optional<Named> username, Optional<Named> passwordRef, Optional<User> user) {}

  private UserRules() {}

  static List<Entry> readAll(Section top) {
    List<Node> items = top.list("users", "a list of users");
    if (items.isEmpty() && !top.holdsNonList("users")) {
      FirstItem.reportMissing(top, "users", "user", UserRules::read);
      return List.of();
    }
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      String path = SpecPath.item(top.path("users"), i);
      entries.add(read(Section.of(items.get(i), path, top.problems(), "a mapping with username")));
    }
    return entries;
  }

  static Entry read(Section s) {
    int errorsBefore = s.problems().failureCount();
    s.allowOnly(KEYS);
    Optional<Named> username = s.name("username", true, Names.USERNAME, Named.USERNAME_HINT);
    Optional<Role> role = s.string("role", true, ROLE_HINT).flatMap(text -> role(s, text));
    Optional<Named> passwordRef = s.secretRef("password_ref", true);
    Optional<User> user =
        s.build(
            errorsBefore,
            () ->
                new User(
                    username.orElseThrow().value(), role.orElseThrow(), passwordRef.orElseThrow().value()));
    return new Entry(username, passwordRef, user);
  }

  private static Optional<Role> role(Section s, String text) {
    Optional<Role> role = Role.fromYaml(text);
    if (role.isEmpty()) {
      List<String> known = Arrays.stream(Role.values()).map(Role::yamlName).toList();
      s.problems()
          .error(
              Kind.VALUE,
              s.path("role"),
              Quoting.quote(text) + Suggestions.didYouMean(text, known) + " (expected: " + ROLE_HINT + ")",
              s.mark("role"),
              ROLE_HINT);
    }
    return role;
  }
}
