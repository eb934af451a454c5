package dev.parapet.core.redact;

import dev.parapet.core.config.RedactionPattern;
import java.util.List;

/**
 * The leftmost-first search of the CREDIT_CARD and IPV4 regexes ({@link Shapes#regex}) over a run
 * of numbers, without a regex engine: one pass over the run, no allocation until a match.
 *
 * <p>Both regexes are a group of digits followed by more groups, each behind one separator
 * ({@code [ -]} for CREDIT_CARD, {@code .} for IPV4), between two {@code \b}. Greedy repetition
 * then backtracking gives a closed form: from a start that has {@code \b} before it, follow the
 * chain of groups as far as it goes; the match ends at the last group end with {@code \b} after
 * it. Every inner group end is followed by a separator, a non-word character, so only the final
 * one can fail, and then the match ends one group earlier. CREDIT_CARD needs 4+ digits in the
 * first group, IPV4 at least one group after the first. Shrinking a group never helps: its end
 * would face a digit, where {@code \b} cannot hold. {@code NumberRunsTest} checks all this
 * against re2j on random runs.
 *
 * <p>The regex's view of the text is {@code [0, limit)}: characters before the search position
 * count for {@code \b}, nothing at or after {@code limit} exists.
 */
final class NumberRuns {
  private NumberRuns() {}

  /** A match: the pattern whose branch matched first, and where. */
  record Found(RedactionPattern pattern, int start, int end) {}

  /**
   * The leftmost match at or after {@code from} of the alternation of {@code order}'s patterns
   * (each CREDIT_CARD or IPV4), the first listed branch winning at a given start; null if none.
   */
  static Found find(CharSequence text, int from, int limit, List<RedactionPattern> order) {
    int s = from;
    while (s < limit) {
      if (!Shapes.isDigit(text.charAt(s)) || (s > 0 && isWord(text.charAt(s - 1)))) {
        s++;
        continue;
      }
      int digitsEnd = digitsEnd(text, s, limit);
      for (RedactionPattern p : order) {
        int end = p == RedactionPattern.CREDIT_CARD ? cardEnd(text, s, digitsEnd, limit) : ipv4End(text, digitsEnd, limit);
        if (end >= 0) {
          return new Found(p, s, end);
        }
      }
      s = digitsEnd; // inside this digit run no start has \b before it
    }
    return null;
  }

  /** {@code \b[0-9]{4}[0-9]*(?:[ -][0-9]+)*\b} from {@code s} (first group {@code [s, first)}). */
  private static int cardEnd(CharSequence text, int s, int first, int limit) {
    if (first - s < 4) {
      return -1;
    }
    return chainEnd(text, first, limit, false, true);
  }

  /** {@code \b[0-9]+(?:\.[0-9]+)+\b}, the first group ending at {@code first}. */
  private static int ipv4End(CharSequence text, int first, int limit) {
    return chainEnd(text, first, limit, true, false);
  }

  /**
   * Follows separator-and-digits groups from {@code p}; returns the last group end with {@code \b}
   * after it, counting the first group's end only if {@code firstEndCounts}; -1 if there is none.
   */
  private static int chainEnd(CharSequence text, int p, int limit, boolean dots, boolean firstEndCounts) {
    int last = firstEndCounts && boundaryAfterDigit(text, p, limit) ? p : -1;
    while (p + 1 < limit && separator(text.charAt(p), dots) && Shapes.isDigit(text.charAt(p + 1))) {
      p = digitsEnd(text, p + 1, limit);
      if (boundaryAfterDigit(text, p, limit)) {
        last = p;
      }
    }
    return last;
  }

  private static boolean separator(char c, boolean dots) {
    return dots ? c == '.' : c == ' ' || c == '-';
  }

  /** {@code \b} at {@code p}, where {@code p - 1} holds a digit. */
  private static boolean boundaryAfterDigit(CharSequence text, int p, int limit) {
    return p >= limit || !isWord(text.charAt(p));
  }

  private static int digitsEnd(CharSequence text, int i, int limit) {
    while (i < limit && Shapes.isDigit(text.charAt(i))) {
      i++;
    }
    return i;
  }

  /** RE2's ASCII {@code \w}, the side {@code \b} looks at. */
  private static boolean isWord(char c) {
    return Shapes.isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
}
