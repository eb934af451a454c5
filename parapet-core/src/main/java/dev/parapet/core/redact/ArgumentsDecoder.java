package dev.parapet.core.redact;

/**
 * One streamed tool call's {@code arguments}, delta by delta, turned into the text its reader sees
 * once it parses them: inside JSON strings each escape (<code>&#92;u0040</code>, {@code \/}, {@code \n}) is
 * replaced by its character; everything else passes as it is. An escape split across deltas
 * (<code>&#92;u00</code> then {@code 40}) is held until it is complete, so a scanner fed the decoded text
 * completes a match on the delta that completes it for the reader (the stream guard feeds
 * {@link OutputScanner} so: docs/redaction.md, "Streaming").
 *
 * <p>Constant state (where it stands, and an escape's hex digits so far), one pass over each
 * delta, no regex, no exception. It does not validate JSON: outside strings every character is
 * copied, and an escape that is not JSON's ({@code \x}, <code>&#92;u12G4</code>) is copied as it was
 * written. So text that is not JSON (a custom tool's free-text input) comes out as it went in,
 * but for what stands between a quote and the next as a JSON string would; the guard also scans
 * the arguments as they were written, so reading them wrongly can only add a match. A surrogate
 * pair written as two escapes comes out as its two halves, one after the other, as the reader
 * has them.
 *
 * <p>Not thread-safe: one per tool call of a stream.
 */
public final class ArgumentsDecoder {
  private static final int OUTSIDE = 0;
  private static final int STRING = 1;
  private static final int ESCAPE = 2;
  private static final int UNICODE = 3;

  private int state = OUTSIDE;
  /** Inside <code>&#92;u</code>: the hex digits read so far, and their value. */
  private int digits;
  private int code;
  /** Where the escape being read started, in a whole text ({@link #decode(String, int[], int[])}). */
  private int escapeAt;

  /** The decoded text of {@code delta}, the next piece of the arguments; empty when all of it is held. */
  public String decode(String delta) {
    return decode(delta, null, null);
  }

  /**
   * A whole text's decoded reading (call it on a new decoder), and for each of its characters the
   * span of {@code text} it was read from, {@code [from[k], to[k])}: the character itself, or its
   * whole escape, so that a match in the reading can be scrubbed in the text as written without
   * splitting an escape. {@code from} and {@code to} hold {@code text.length()} entries at least:
   * a reading is never longer than its text.
   */
  String decode(String text, int[] from, int[] to) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (state == STRING && c == '\\') {
        escapeAt = i;
      }
      int unitStart = state == OUTSIDE || state == STRING ? i : escapeAt;
      int written = out.length();
      boolean readAgain = step(c, out);
      if (from != null) {
        int unitEnd = readAgain ? i : i + 1; // an escape not JSON's ends before the character read again
        for (int k = written; k < out.length(); k++) {
          from[k] = unitStart;
          to[k] = unitEnd;
        }
      }
      if (readAgain) {
        i--;
      }
    }
    return out.toString();
  }

  /** Reads one character; true when it ended an escape that is not JSON's and is to be read again. */
  private boolean step(char c, StringBuilder out) {
    switch (state) {
      case OUTSIDE -> {
        out.append(c);
        if (c == '"') {
          state = STRING;
        }
      }
      case STRING -> {
        if (c == '\\') {
          state = ESCAPE;
        } else {
          out.append(c);
          if (c == '"') {
            state = OUTSIDE;
          }
        }
      }
      case ESCAPE -> {
        state = STRING;
        switch (c) {
          case '"', '\\', '/' -> out.append(c);
          case 'b' -> out.append('\b');
          case 'f' -> out.append('\f');
          case 'n' -> out.append('\n');
          case 'r' -> out.append('\r');
          case 't' -> out.append('\t');
          case 'u' -> {
            state = UNICODE;
            digits = 0;
            code = 0;
          }
          default -> out.append('\\').append(c); // not JSON: as written
        }
      }
      default -> { // UNICODE
        int hex = Character.digit(c, 16);
        if (hex >= 0 && c < 128) {
          code = code * 16 + hex;
          if (++digits == 4) {
            out.append((char) code);
            state = STRING;
          }
        } else { // not JSON: as written, and the character read as in a string
          out.append("\\u");
          for (int d = digits - 1; d >= 0; d--) {
            out.append(Character.forDigit((code >> (4 * d)) & 0xf, 16));
          }
          state = STRING;
          return true;
        }
      }
    }
    return false;
  }
}
