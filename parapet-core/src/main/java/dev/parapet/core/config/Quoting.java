package dev.parapet.core.config;

/** Quotes operator-supplied values for error messages, bounded and free of control characters. */
public final class Quoting {
  private static final int MAX = 80;

  private Quoting() {}

  public static String quote(Object value) {
    if (value == null) {
      return "null";
    }
    String s = String.valueOf(value);
    StringBuilder out = new StringBuilder(Math.min(s.length(), MAX) + 8).append('"');
    int n = Math.min(s.length(), MAX);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    if (s.length() > MAX) {
      out.append('…');
    }
    return out.append('"').toString();
  }
}
