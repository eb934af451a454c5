package dev.parapet.core.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * "Did you mean" for keys and names. A typo in a key must never pass silently (it would drop a
 * cap), and the nearest known spelling is the fastest fix an operator can be shown.
 */
final class Suggestions {
  private Suggestions() {}

  /**
   * Beyond this many candidates no suggestion is made: a hostile 1 MiB spec with thousands of
   * bad references must not cost thousands squared distance computations.
   */
  static final int MAX_CANDIDATES = 200;

  /** The closest candidate within a small edit distance, case-insensitively. */
  static Optional<String> closest(String typed, Collection<String> candidates) {
    if (typed.length() > 100 || candidates.size() > MAX_CANDIDATES) {
      return Optional.empty();
    }
    String lower = typed.toLowerCase(Locale.ROOT);
    int limit = Math.max(1, Math.min(3, typed.length() / 3));
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : candidates) {
      int d = distance(lower, candidate.toLowerCase(Locale.ROOT));
      if (d <= limit && d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    return Optional.ofNullable(best);
  }

  /** {@code "; did you mean `x`?"} or nothing. */
  static String didYouMean(String typed, Collection<String> candidates) {
    return closest(typed, candidates).map(s -> "; did you mean `" + s + "`?").orElse("");
  }

  /** {@code "a, b, c"}, or the first few and a count, so a message stays one readable line. */
  static String listed(Collection<String> names) {
    int shown = 10;
    String head = String.join(", ", names.stream().limit(shown).toList());
    return names.size() > shown ? head + ", … (" + names.size() + " in all)" : head;
  }

  /** Levenshtein distance with adjacent transpositions counted as one edit. */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
