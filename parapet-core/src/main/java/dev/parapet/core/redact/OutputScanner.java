package dev.parapet.core.redact;

import dev.parapet.core.config.RedactionPattern;
import java.util.Objects;
import java.util.Optional;

/**
 * Guards a streamed answer ({@code scan_output: true}): fed the text deltas in order, it reports
 * the first match, including one split across deltas, so the stream can be truncated (SPEC §4).
 *
 * <p><b>What is rescanned.</b> Each feed scans the new delta plus the part of the earlier text that
 * could still be inside a match: text after the last character no pattern can contain (a newline,
 * a comma, a quote…; see {@link Shapes#canContinueMatch}), and at most {@link #DEFAULT_WINDOW}
 * characters of it. The cost of a feed is therefore O(delta + min(window, current run)); for
 * ordinary text (lines, sentences) that is a small constant per character. The worst case, a long
 * run of key-like characters fed one character at a time, is O(total × window), bounded but not
 * linear in the strict sense; a benchmark, not a unit test, watches it.
 *
 * <p><b>Limits.</b> A match longer than the window is seen only if its first window's worth of
 * text already matches: every pattern's minimum is far shorter, and PEM blocks are caught by their
 * {@code -----BEGIN … PRIVATE KEY-----} header alone. A match that ends exactly at the end of what
 * has been fed is reported at once, except CREDIT_CARD and IPV4, whose verdict can change with the
 * next character ({@code 4111…} may grow into a 20-digit order number, {@code 1.2.3.4} into a
 * version string); they are reported on the next feed or by {@link #finish()}.
 *
 * <p>A match is reported once; scanning continues after it. Not thread-safe: one per stream.
 */
public final class OutputScanner {
  /** Rescan bound: comfortably above every pattern's realistic length except full PEM bodies. */
  public static final int DEFAULT_WINDOW = 4096;

  private final Redactor redactor;
  private final int window;
  private final StringBuilder buf = new StringBuilder();
  private long bufStart; // absolute offset of buf[0]
  private long tailStart; // first offset that may still be inside a match
  private long reportedUpTo; // end of the last reported match

  public OutputScanner(Redactor redactor) {
    this(redactor, DEFAULT_WINDOW);
  }

  OutputScanner(Redactor redactor, int window) {
    this.redactor = Objects.requireNonNull(redactor, "redactor");
    if (window < 64) {
      throw new IllegalArgumentException("window: " + window + " (expected: >= 64)");
    }
    this.window = window;
  }

  /** Feed the next delta; returns the pattern of the first new match, if any. */
  public Optional<RedactionPattern> feed(String delta) {
    Objects.requireNonNull(delta, "delta");
    long oldEnd = bufStart + buf.length();
    long from = Math.max(Math.max(tailStart, reportedUpTo), Math.max(bufStart, oldEnd - window));
    buf.append(delta);
    Optional<RedactionPattern> found = scan(from, false);
    for (int i = 0; i < delta.length(); i++) {
      if (!Shapes.canContinueMatch(delta.charAt(i))) {
        tailStart = oldEnd + i + 1;
      }
    }
    trim();
    return found;
  }

  /** The stream ended: report a match held back because more text could have changed it. */
  public Optional<RedactionPattern> finish() {
    long end = bufStart + buf.length();
    long from = Math.max(Math.max(tailStart, reportedUpTo), Math.max(bufStart, end - window));
    return scan(from, true);
  }

  private Optional<RedactionPattern> scan(long fromAbs, boolean atEnd) {
    RedactionPattern[] hit = new RedactionPattern[1];
    redactor.forEachMatch(buf, (int) (fromAbs - bufStart), m -> {
      boolean mayChange = m.pattern() == RedactionPattern.CREDIT_CARD || m.pattern() == RedactionPattern.IPV4;
      if (!atEnd && mayChange && m.end() == buf.length()) {
        return false; // decided on the next feed
      }
      hit[0] = m.pattern();
      reportedUpTo = bufStart + m.end();
      return false;
    });
    return Optional.ofNullable(hit[0]);
  }

  /** Drop text no future scan can reach, keeping one extra character as \b context. */
  private void trim() {
    if (buf.length() > 2 * window + 1) {
      int drop = buf.length() - window - 1;
      buf.delete(0, drop);
      bufStart += drop;
    }
  }
}
