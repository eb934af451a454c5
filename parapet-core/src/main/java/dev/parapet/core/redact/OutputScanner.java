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
 * next characters ({@code 4111…} may grow into a 20-digit order number, {@code 1.2.3.4.} into a
 * version string); they are reported on the next feed or by {@link #finish()}. Patterns that
 * end in a word boundary ({@code AKIA…}) are reported as soon as they match, even if a later
 * letter would have made the whole text not match: over-reporting a key-shaped answer is the
 * safe direction.
 *
 * <p>A match is reported once; scanning continues after it. Not thread-safe: one per stream.
 */
public final class OutputScanner {
  /** Rescan bound: comfortably above every pattern's realistic length except full PEM bodies. */
  public static final int DEFAULT_WINDOW = 4096;

  /**
   * First capacity of a stream's text buffers. A buffer lives as long as its stream, so the
   * collector soon moves it to the old generation; each regrowth then gives that old object a
   * reference to a young array, which every young pause scans (one card per stream) until the
   * array is promoted in turn — up to 15 collections later. The default capacity of 16 regrows
   * four times before 256 chars; starting at 256 costs 240 bytes per stream (Latin-1) and
   * saves those four. With 5,000 open streams it took the cards scanned per young pause from
   * ~10,600 to ~3,500 (bench/profile-notes.md, fifth round).
   */
  public static final int INITIAL_CHARS = 256;

  private final Redactor redactor;
  private final int window;
  private final StringBuilder buf = new StringBuilder(INITIAL_CHARS);
  private long bufStart; // absolute offset of buf[0]
  private long lastBreak = -1; // offset of the last character no match can contain
  private long scanFrom; // the next scan starts here: text before it is decided
  private long reportedUpTo; // end of the last reported match
  // No trigger starts in [scanFrom, quietUpTo), as seen when the text ended at quietUpTo.
  private long quietUpTo;
  /** The match the last scan held back for the next characters ({@link #mayGrow}), or null. */
  private RedactionPattern held;
  private final boolean incremental;

  public OutputScanner(Redactor redactor) {
    this(redactor, DEFAULT_WINDOW);
  }

  OutputScanner(Redactor redactor, int window) {
    this(redactor, window, true);
  }

  /** {@code incremental = false}: rescan the whole kept run on every feed (the tests' reference). */
  OutputScanner(Redactor redactor, int window, boolean incremental) {
    this.redactor = Objects.requireNonNull(redactor, "redactor");
    this.incremental = incremental;
    if (window < 64) {
      throw new IllegalArgumentException("window: " + window + " (expected: >= 64)");
    }
    this.window = window;
  }

  /**
   * Feed the next delta; returns the pattern of the first new match, if any. One match is
   * reported per call: if a delta holds several, the rest are reported by the following calls
   * ({@code feed("")} drains them); the gateway stops at the first anyway.
   */
  public Optional<RedactionPattern> feed(String delta) {
    Objects.requireNonNull(delta, "delta");
    long oldEnd = bufStart + buf.length();
    buf.append(delta);
    for (int i = 0; i < delta.length(); i++) {
      if (!Shapes.canContinueMatch(delta.charAt(i))) {
        lastBreak = oldEnd + i;
      }
    }
    return scan(false);
  }

  /**
   * The stream ended: report a match held back because more text could have changed it (one per
   * call, like {@link #feed}).
   */
  public Optional<RedactionPattern> finish() {
    return scan(true);
  }

  /**
   * The match the last {@link #feed} held back because more text could have changed it (a card
   * number at the very end of the text so far), if any: what {@link #finish()} would report were
   * the text to end here. Decides nothing and scans nothing, so it can be asked before each feed
   * (what a reader of the text so far has) at no cost.
   */
  public Optional<RedactionPattern> held() {
    return Optional.ofNullable(held);
  }

  private Optional<RedactionPattern> scan(boolean atEnd) {
    RedactionPattern[] hit = new RedactionPattern[1];
    held = null;
    long end = bufStart + buf.length();
    int from = (int) (Math.max(scanFrom, bufStart) - bufStart);
    int quiet = incremental ? (int) Math.max(from, Math.min(quietUpTo - bufStart, buf.length())) : from;
    if (!redactor.mayMatch(buf, from, quiet)) {
      quietUpTo = end; // nothing can start in the kept run yet: next time, look at the new text only
    } else {
      redactor.forEachMatch(buf, from, m -> {
        if (!atEnd && mayGrow(m)) {
          held = m.pattern();
          return false; // decided on the next feed
        }
        hit[0] = m.pattern();
        reportedUpTo = bufStart + m.end();
        return false;
      });
    }
    if (hit[0] != null) {
      scanFrom = reportedUpTo; // the text after the match is not scanned yet
    } else {
      // Everything is scanned; keep only what may still be inside a match, at most a window.
      scanFrom = Math.max(Math.max(lastBreak + 1, end - window), Math.max(reportedUpTo, scanFrom));
    }
    trim(end);
    return Optional.ofNullable(hit[0]);
  }

  /**
   * Whether the next delta could still turn this number run into something else: it ends at the
   * end of the text so far, or just before a final separator ({@code 1.2.3.4.} may become the
   * version {@code 1.2.3.4.5}; {@code 4111 … 1111 } may go on with more groups).
   */
  private boolean mayGrow(Match m) {
    if (m.pattern() != RedactionPattern.CREDIT_CARD && m.pattern() != RedactionPattern.IPV4) {
      return false;
    }
    int after = buf.length() - m.end();
    if (after == 0) {
      return true;
    }
    char c = buf.charAt(m.end());
    return after == 1
        && (m.pattern() == RedactionPattern.IPV4 ? c == '.' : c == ' ' || c == '-');
  }

  /** Drop text no future scan can reach, keeping one extra character as \b context. */
  private void trim(long end) {
    if (buf.length() > 2 * window + 1) {
      long keepFrom = Math.min(scanFrom, end - window) - 1;
      int drop = (int) (keepFrom - bufStart);
      if (drop > window) {
        buf.delete(0, drop);
        bufStart += drop;
      }
    }
  }
}
