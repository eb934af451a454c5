package dev.parapet.core.store;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Bounds for what a telemetry record may hold. Records carry names, ids, counts and codes — never
 * free text — so every string field is short and drawn from a narrow alphabet. That keeps a
 * prompt fragment from riding along in a note and keeps rows small.
 */
final class RecordFields {
  static final int MAX_NAME = 128;
  static final int MAX_DETAILS = 16;
  static final int MAX_NOTES = 16;
  static final int MAX_VALUE = 128;

  /** Keys of event details and of notes: short identifiers like {@code EMAIL} or {@code pattern}. */
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_]{1,32}");
  /** Error codes are the SPEC's snake_case codes. */
  private static final Pattern CODE = Pattern.compile("[a-z0-9_]{1,64}");
  /** Characters kept in detail values and notes; anything else becomes '_'. No '=', ',' or space. */
  private static final Pattern UNSAFE = Pattern.compile("[^A-Za-z0-9_.:/+@-]");

  private RecordFields() {}

  /** A name or id: non-blank, at most 128 chars, no control characters. */
  static String name(String field, String value) {
    Objects.requireNonNull(value, field);
    if (value.isBlank() || value.length() > MAX_NAME) {
      throw new IllegalArgumentException(
          field + ": " + value.length() + " chars (expected: 1 to " + MAX_NAME + ", not blank)");
    }
    for (int i = 0; i < value.length(); i++) {
      if (Character.isISOControl(value.charAt(i))) {
        throw new IllegalArgumentException(field + ": contains a control character");
      }
    }
    return value;
  }

  static Optional<String> optionalName(String field, Optional<String> value) {
    Objects.requireNonNull(value, field);
    value.ifPresent(v -> name(field, v));
    return value;
  }

  static Optional<String> code(String field, Optional<String> value) {
    Objects.requireNonNull(value, field);
    value.ifPresent(
        v -> {
          if (!CODE.matcher(v).matches()) {
            throw new IllegalArgumentException(field + ": not a snake_case code (expected: [a-z0-9_]{1,64})");
          }
        });
    return value;
  }

  static long nonNegative(String field, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(field + ": " + value + " (expected: >= 0)");
    }
    return value;
  }

  /** A detail value or note: unsafe characters replaced, cut to 128 chars. */
  static String sanitise(String value) {
    Objects.requireNonNull(value, "value");
    String cut = value.length() > MAX_VALUE ? value.substring(0, MAX_VALUE) : value;
    return UNSAFE.matcher(cut).replaceAll("_");
  }

  /** Event details: at most 16 entries, identifier keys, sanitised values, sorted by key. */
  static Map<String, String> details(Map<String, String> details) {
    Objects.requireNonNull(details, "details");
    if (details.size() > MAX_DETAILS) {
      throw new IllegalArgumentException(
          "details: " + details.size() + " entries (expected: at most " + MAX_DETAILS + ")");
    }
    TreeMap<String, String> out = new TreeMap<>();
    details.forEach(
        (k, v) -> {
          Objects.requireNonNull(k, "details key");
          if (!KEY.matcher(k).matches()) {
            throw new IllegalArgumentException("details: key is not an identifier ([A-Za-z0-9_]{1,32})");
          }
          out.put(k, sanitise(Objects.requireNonNull(v, "details value")));
        });
    return java.util.Collections.unmodifiableMap(out);
  }

  /** Enforcement notes: at most 16, each sanitised and non-empty. */
  static List<String> notes(List<String> notes) {
    Objects.requireNonNull(notes, "notes");
    if (notes.size() > MAX_NOTES) {
      throw new IllegalArgumentException(
          "notes: " + notes.size() + " entries (expected: at most " + MAX_NOTES + ")");
    }
    List<String> out = notes.stream().map(RecordFields::sanitise).toList();
    if (out.stream().anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException("notes: empty note");
    }
    return out;
  }

  /** {@code k=v,k=v} with sorted keys; safe because keys and values cannot hold '=' or ','. */
  static String encodeDetails(Map<String, String> details) {
    StringBuilder sb = new StringBuilder();
    new TreeMap<>(details)
        .forEach(
            (k, v) -> {
              if (sb.length() > 0) {
                sb.append(',');
              }
              sb.append(k).append('=').append(v);
            });
    return sb.toString();
  }

  static Map<String, String> decodeDetails(String encoded) {
    TreeMap<String, String> out = new TreeMap<>();
    if (encoded == null || encoded.isEmpty()) {
      return java.util.Collections.unmodifiableMap(out);
    }
    for (String pair : encoded.split(",", -1)) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        out.put(pair.substring(0, eq), pair.substring(eq + 1));
      }
    }
    return java.util.Collections.unmodifiableMap(out);
  }
}
