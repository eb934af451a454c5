package dev.parapet.core.seal;

import java.util.List;

/**
 * The secrets of a spec cannot be hydrated. {@link #missing()} lists refs that resolved to nothing
 * or to an empty value; {@link #conflicts()} lists refused combinations (two services sharing a
 * token, a token equal to a provider key). One exception carries both so the build step can name
 * every problem in one run. Messages name refs, services and users — never a value.
 */
public final class MissingSecretsException extends Exception {
  private final List<String> missing;
  private final List<String> conflicts;

  public MissingSecretsException(List<String> missing, List<String> conflicts) {
    super(message(missing, conflicts), null, false, false);
    this.missing = List.copyOf(missing);
    this.conflicts = List.copyOf(conflicts);
  }

  /** Ref names with no value, in the spec's first-use order. */
  public List<String> missing() {
    return missing;
  }

  /** One line per refused combination, naming refs only. */
  public List<String> conflicts() {
    return conflicts;
  }

  /** Every problem as a line, missing refs first: what the build step prints. */
  public List<String> problems() {
    var out = new java.util.ArrayList<String>();
    missing.forEach(ref -> out.add(ref + ": not set or empty"));
    out.addAll(conflicts);
    return List.copyOf(out);
  }

  private static String message(List<String> missing, List<String> conflicts) {
    StringBuilder sb = new StringBuilder();
    if (!missing.isEmpty()) {
      sb.append("missing secrets: ").append(String.join(", ", missing));
    }
    if (!conflicts.isEmpty()) {
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append(String.join("; ", conflicts));
    }
    return sb.toString();
  }
}
