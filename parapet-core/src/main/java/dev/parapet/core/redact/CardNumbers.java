package dev.parapet.core.redact;

/**
 * Finds card numbers inside a run of digit groups ({@code 4111 1111 1111 1111}, {@code 9 4111…},
 * {@code 5555-5555-5555-4444}) found by the CREDIT_CARD regex, which matches the whole run so that
 * the regex stays small and each run is looked at once.
 *
 * <p>A card is a sub-run of whole groups that is either one group of 13-19 digits, or a 4-digit
 * group followed by 2-4 groups of 3-6 digits (4-4-4-4, 4-6-5, 4-4-4-4-3), with 13-19 digits in
 * all, passing the Luhn check of ISO/IEC 7812-1. From each group, left to right, the longest such
 * sub-run that passes Luhn wins; the search continues after it.
 */
final class CardNumbers {
  private static final int MAX_DIGITS = 19;

  private CardNumbers() {}

  /**
   * Emits each card in the run {@code [start, end)} and returns where the regex search resumes, or
   * -1 if the visitor stopped. The resume point is the end of the run, except that a later pattern
   * could start after the run's last space ({@code 1234 5678@example.com},
   * {@code 1234 10.0.0.1}); then the search resumes there (past any card emitted).
   */
  static int expand(CharSequence text, int start, int end, Redactor.MatchVisitor visitor) {
    // Group boundaries: starts[k], ends[k]; a run has at most (end - start + 1) / 2 groups.
    int[] starts = new int[(end - start + 2) / 2];
    int[] ends = new int[starts.length];
    int groups = 0;
    int lastSpace = -1;
    for (int i = start; i < end; ) {
      int j = i;
      while (j < end && Shapes.isDigit(text.charAt(j))) {
        j++;
      }
      starts[groups] = i;
      ends[groups] = j;
      groups++;
      if (j < end && text.charAt(j) == ' ') {
        lastSpace = j;
      }
      i = j + 1; // skip the single separator
    }
    int emittedEnd = start;
    for (int g = 0; g < groups; ) {
      int last = longestCardFrom(text, starts, ends, groups, g);
      if (last < 0) {
        g++;
        continue;
      }
      if (!visitor.visit(new Match(dev.parapet.core.config.RedactionPattern.CREDIT_CARD, starts[g], ends[last]))) {
        return -1;
      }
      emittedEnd = ends[last];
      g = last + 1;
    }
    return lastSpace < 0 ? end : Math.max(emittedEnd, lastSpace + 1);
  }

  /** The last group of the longest Luhn-valid card starting at group {@code g}, or -1. */
  private static int longestCardFrom(CharSequence text, int[] starts, int[] ends, int groups, int g) {
    int firstLen = ends[g] - starts[g];
    if (firstLen >= 13 && firstLen <= MAX_DIGITS && luhn(text, starts[g], ends[g])) {
      return g;
    }
    if (firstLen != 4) {
      return -1;
    }
    int digits = 4;
    int best = -1;
    for (int k = g + 1; k < groups && k <= g + 4; k++) {
      int len = ends[k] - starts[k];
      if (len < 3 || len > 6) {
        break;
      }
      digits += len;
      if (digits > MAX_DIGITS) {
        break;
      }
      if (k >= g + 2 && digits >= 13 && luhn(text, starts[g], ends[k])) {
        best = k;
      }
    }
    return best;
  }

  /** The Luhn (mod 10) check over the digits of {@code [start, end)}, separators skipped. */
  static boolean luhn(CharSequence text, int start, int end) {
    int sum = 0;
    int n = 0;
    // Right to left: every second digit from the right is doubled.
    for (int i = end - 1; i >= start; i--) {
      char c = text.charAt(i);
      if (!Shapes.isDigit(c)) {
        continue;
      }
      int d = c - '0';
      if ((n & 1) == 1) {
        d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      }
      sum += d;
      n++;
    }
    return sum % 10 == 0;
  }
}
