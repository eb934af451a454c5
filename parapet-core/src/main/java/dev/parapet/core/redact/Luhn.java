package dev.parapet.core.redact;

/** The Luhn (mod 10) check of ISO/IEC 7812-1, on the digits of a card-shaped match. */
final class Luhn {
  private Luhn() {}

  /** 13-19 digits (separators ignored) whose Luhn sum is a multiple of 10. */
  static boolean validCardNumber(CharSequence text, int start, int end) {
    int digits = 0;
    int sum = 0;
    // Walk right to left: every second digit from the right is doubled.
    for (int i = end - 1; i >= start; i--) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        continue;
      }
      int d = c - '0';
      if ((digits & 1) == 1) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      digits++;
    }
    return digits >= 13 && digits <= 19 && sum % 10 == 0;
  }
}
