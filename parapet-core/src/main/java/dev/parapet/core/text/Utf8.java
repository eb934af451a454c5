package dev.parapet.core.text;

/** UTF-8 sizes of Java strings, without encoding them. */
public final class Utf8 {
  private Utf8() {}

  /**
   * The UTF-8 length of {@code text}. A lone surrogate counts 3 bytes, more than the 1 byte
   * ({@code ?}) an encoder substitutes, so the result is never below the encoded length.
   */
  public static long length(CharSequence text) {
    long n = 0;
    int len = text.length();
    for (int i = 0; i < len; i++) {
      char ch = text.charAt(i);
      if (ch < 0x80) {
        n++;
      } else if (ch < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(ch) && i + 1 < len && Character.isLowSurrogate(text.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
