package dev.parapet.runtime.admin;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The query of a read-only surface, strictly: only the parameters it knows, each at most once,
 * each value short. Error messages name the parameter and what was expected, never echo the value
 * (a caller's bytes stay out of answers and logs).
 */
final class QueryParameters {
  private static final int MAX_VALUE_CHARS = 64;
  private final Map<String, List<String>> params;

  private QueryParameters(Map<String, List<String>> params) {
    this.params = params;
  }

  static QueryParameters parse(String uri, Set<String> known) throws BadParameter {
    Map<String, List<String>> p;
    try {
      p = new QueryStringDecoder(uri, StandardCharsets.UTF_8, true, 16).parameters();
    } catch (IllegalArgumentException e) {
      throw new BadParameter("query: not a valid query string");
    }
    for (Map.Entry<String, List<String>> e : p.entrySet()) {
      if (!known.contains(e.getKey())) {
        throw new BadParameter("unknown parameter (expected: " + String.join(", ", known.stream().sorted().toList()) + ")");
      }
      if (e.getValue().size() != 1) {
        throw new BadParameter(e.getKey() + ": given more than once");
      }
      if (e.getValue().get(0).length() > MAX_VALUE_CHARS) {
        throw new BadParameter(e.getKey() + ": too long");
      }
    }
    return new QueryParameters(p);
  }

  Optional<String> get(String name) {
    List<String> v = params.get(name);
    return v == null ? Optional.empty() : Optional.of(v.get(0));
  }

  /** {@code YYYY-MM-DD}, a real calendar date. */
  Optional<LocalDate> date(String name) throws BadParameter {
    Optional<String> v = get(name);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(date(name, v.get()));
  }

  static LocalDate date(String name, String value) throws BadParameter {
    if (!value.matches("[0-9]{4}-[0-9]{2}-[0-9]{2}")) {
      throw new BadParameter(name + ": expected a date YYYY-MM-DD");
    }
    try {
      return LocalDate.parse(value);
    } catch (DateTimeParseException e) {
      throw new BadParameter(name + ": expected a date YYYY-MM-DD");
    }
  }

  /** Digits only, {@code min..max}. */
  Optional<Integer> integer(String name, int min, int max) throws BadParameter {
    Optional<String> v = get(name);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    String expected = name + ": expected an integer " + min + " to " + max;
    if (!v.get().matches("[0-9]{1,9}")) {
      throw new BadParameter(expected);
    }
    int n = Integer.parseInt(v.get());
    if (n < min || n > max) {
      throw new BadParameter(expected);
    }
    return Optional.of(n);
  }
}
