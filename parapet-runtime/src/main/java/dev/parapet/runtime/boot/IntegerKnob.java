package dev.parapet.runtime.boot;

import dev.parapet.core.config.Quoting;
import java.util.Map;

/**
 * The one reader of bounded integer environment knobs ({@code PARAPET_PORT}, {@code
 * PARAPET_UPSTREAM_IDLE_MS}, {@code PARAPET_RETENTION_DAYS}, …), so that every knob takes the same
 * form: a plain decimal number, ASCII digits only, no leading zero (but {@code 0} itself), no
 * sign, space, unit or exponent, within {@code min..max}. Anything else refuses the boot with one
 * line naming the variable, the value as given (quoted, bounded) and the range.
 */
public final class IntegerKnob {
  private IntegerKnob() {}

  /** {@code name}'s value from {@code env}, {@code dflt} when it is unset. */
  public static long read(Map<String, String> env, String name, long dflt, long min, long max)
      throws BootException {
    String v = env.get(name);
    if (v == null) {
      return dflt;
    }
    if (!canonical(v, Long.toString(max).length())) {
      throw bad(name, v, min, max);
    }
    long n = Long.parseLong(v); // at most as many digits as max: no overflow
    if (n < min || n > max) {
      throw bad(name, v, min, max);
    }
    return n;
  }

  /** {@code 0}, or 1..{@code maxDigits} ASCII digits not starting with {@code 0}; no regex. */
  private static boolean canonical(String v, int maxDigits) {
    if (v.isEmpty() || v.length() > maxDigits || (v.charAt(0) == '0' && v.length() > 1)) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      if (v.charAt(i) < '0' || v.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static BootException bad(String name, String value, long min, long max) {
    return new BootException(name + ": " + Quoting.quote(value) + " (expected: an integer " + min + ".." + max + ")");
  }
}
