package dev.parapet.core.redact;

import dev.parapet.core.config.RedactionPattern;
import java.util.Set;

/**
 * A cheap pass that tells the {@link Redactor} where its regex may first match, so re2j (an NFA
 * with no DFA: a few MB/s) runs only on text that can hold a secret.
 *
 * <p>Every pattern's matches contain a literal trigger: EMAIL an {@code @}; API_KEY one of
 * {@code sk-}, {@code AKIA}, {@code ASIA}, {@code gh[pousr]_}, {@code github_pat_},
 * {@code xox[bpars]-}; BEARER_TOKEN {@code bearer} in any case; JWT {@code eyJ}; PRIVATE_KEY
 * {@code -----BEGIN }; CREDIT_CARD four ASCII digits in a row; IPV4 digit, dot, digit (see
 * {@link Shapes#regex}). A match of API_KEY, BEARER_TOKEN, JWT, PRIVATE_KEY and CREDIT_CARD starts
 * at its trigger; one of EMAIL or IPV4 may start earlier, but only across characters of
 * {@code [A-Za-z0-9._%+-]} (the local part; digits and dots). So if the leftmost trigger at or
 * after {@code from} starts at {@code t}, no match starting at or after {@code from} starts before
 * the start of {@link #candidate}: {@code t} moved left over that class, never past {@code from}.
 * Searching from there finds exactly the match a search from {@code from} would.
 */
final class Triggers {
  /** ASCII characters that may start a trigger (or are digits); everything else is skipped. */
  private static final boolean[] MAY_START = new boolean[128];

  static {
    for (char c : "0123456789@-ebBsAgx".toCharArray()) {
      MAY_START[c] = true;
    }
  }

  private final boolean email;
  private final boolean apiKey;
  private final boolean bearer;
  private final boolean jwt;
  private final boolean privateKey;
  private final boolean card;
  private final boolean ipv4;

  Triggers(Set<RedactionPattern> enabled) {
    email = enabled.contains(RedactionPattern.EMAIL);
    apiKey = enabled.contains(RedactionPattern.API_KEY);
    bearer = enabled.contains(RedactionPattern.BEARER_TOKEN);
    jwt = enabled.contains(RedactionPattern.JWT);
    privateKey = enabled.contains(RedactionPattern.PRIVATE_KEY);
    card = enabled.contains(RedactionPattern.CREDIT_CARD);
    ipv4 = enabled.contains(RedactionPattern.IPV4);
  }

  /**
   * Where a search for matches starting at or after {@code from} may begin without missing one
   * ({@link #start}), and the leftmost trigger it came from ({@link #trigger}), packed; or -1 when
   * no enabled pattern can match in {@code text[from..]}.
   */
  long candidate(CharSequence text, int from) {
    int t = firstTrigger(text, from);
    if (t < 0) {
      return -1;
    }
    int s = t;
    while (s > from && localPart(text.charAt(s - 1))) {
      s--;
    }
    return ((long) s << 32) | t;
  }

  static int start(long candidate) {
    return (int) (candidate >>> 32);
  }

  static int trigger(long candidate) {
    return (int) candidate;
  }

  /** The longest look-ahead of a trigger ({@code -----BEGIN }, {@code github_pat_}). */
  static final int MAX_TRIGGER_LENGTH = 11;

  /**
   * Whether a trigger starts at or after {@code from}, knowing that none did in
   * {@code [from, quietEnd)} when the text ended at {@code quietEnd} (text is only appended since).
   * Only the tail where a trigger could still have been incomplete is searched again: a literal
   * trigger needs at most {@value #MAX_TRIGGER_LENGTH} characters; a four-digit run or
   * digit-dot-digit that began earlier would already have been complete, hence found. So a
   * stream's guard pays once per character, not once per character per delta.
   */
  boolean anyAfterQuiet(CharSequence text, int from, int quietEnd) {
    return firstTrigger(text, Math.max(from, quietEnd - MAX_TRIGGER_LENGTH)) >= 0;
  }

  /** Start of the leftmost trigger at or after {@code from}, or -1. */
  private int firstTrigger(CharSequence text, int from) {
    int n = text.length();
    int digits = 0; // ASCII digits in a row ending at i
    for (int i = from; i < n; i++) {
      char c = text.charAt(i);
      if (c >= 128 || !MAY_START[c]) {
        digits = 0; // the common case: one table look-up per character
        continue;
      }
      if (c >= '0' && c <= '9') {
        digits++;
        if (card && digits == 4) {
          return i - 3;
        }
        if (ipv4 && digits == 1 && i >= from + 2 && text.charAt(i - 1) == '.' && Shapes.isDigit(text.charAt(i - 2))) {
          // the dotted run starts at or before i - 2; candidate() walks left over its digits
          return i - 2;
        }
        continue;
      }
      digits = 0;
      switch (c) {
        case '@' -> {
          if (email) {
            return i;
          }
        }
        case '-' -> {
          if (privateKey && startsWith(text, i, "-----BEGIN ")) {
            return i;
          }
        }
        case 'e' -> {
          if (jwt && startsWith(text, i, "eyJ")) {
            return i;
          }
        }
        case 'b', 'B' -> {
          if (bearer && startsWithIgnoreCase(text, i, "bearer")) {
            return i;
          }
        }
        case 's' -> {
          if (apiKey && startsWith(text, i, "sk-")) {
            return i;
          }
        }
        case 'A' -> {
          if (apiKey && (startsWith(text, i, "AKIA") || startsWith(text, i, "ASIA"))) {
            return i;
          }
        }
        case 'g' -> {
          if (apiKey && (ghToken(text, i) || startsWith(text, i, "github_pat_"))) {
            return i;
          }
        }
        case 'x' -> {
          if (apiKey && slackToken(text, i)) {
            return i;
          }
        }
        default -> {
          // not a trigger
        }
      }
    }
    return -1;
  }

  /** {@code gh[pousr]_} at {@code i}. */
  static boolean ghToken(CharSequence text, int i) {
    return i + 3 < text.length() && text.charAt(i) == 'g' && text.charAt(i + 1) == 'h'
        && "pousr".indexOf(text.charAt(i + 2)) >= 0 && text.charAt(i + 3) == '_';
  }

  /** {@code xox[bpars]-} at {@code i}. */
  static boolean slackToken(CharSequence text, int i) {
    return i + 4 < text.length() && startsWith(text, i, "xox") && "bpars".indexOf(text.charAt(i + 3)) >= 0
        && text.charAt(i + 4) == '-';
  }

  /** {@code [A-Za-z0-9._%+-]}: what may precede a trigger inside an EMAIL or IPV4 match. */
  static boolean localPart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
  }

  static boolean startsWith(CharSequence text, int i, String literal) {
    int n = literal.length();
    if (i + n > text.length()) {
      return false;
    }
    for (int k = 0; k < n; k++) {
      if (text.charAt(i + k) != literal.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  /**
   * ASCII case-insensitive: re2j's {@code (?i:bearer)} folds only b, e, a, r and their capitals
   * (none of these letters has a non-ASCII case variant in Unicode's simple folding).
   */
  private static boolean startsWithIgnoreCase(CharSequence text, int i, String lowerLiteral) {
    int n = lowerLiteral.length();
    if (i + n > text.length()) {
      return false;
    }
    for (int k = 0; k < n; k++) {
      char c = text.charAt(i + k);
      if (c >= 'A' && c <= 'Z') {
        c = (char) (c + ('a' - 'A'));
      }
      if (c != lowerLiteral.charAt(k)) {
        return false;
      }
    }
    return true;
  }
}
