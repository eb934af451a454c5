package dev.parapet.core.tokens;

import com.knuddels.jtokkit.api.GptBytePairEncodingParams;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;

/**
 * jtokkit's {@code o200k_base} (the gpt-4o, gpt-4.1, o-series and gpt-5 families' BPE) with the same
 * ranks and the same pre-tokenizer <em>language</em>, written so that {@code java.util.regex}
 * decides it twice as fast. Every count and every token is jtokkit's own: only the pattern that cuts
 * a text into pieces before the BPE merges is spelled differently.
 *
 * <p>Why: jtokkit runs tiktoken's pattern ({@link #TIKTOKEN_PATTERN}) through {@code
 * java.util.regex}, and there each character class such as {@code [\p{Ll}\p{Lm}\p{Lo}\p{M}]} is a
 * chain of category predicates, each a megamorphic call and a {@code Character.getType}; a 575-char
 * prompt spent ~30 of its ~45 µs count in the pattern (JFR: 41 % of the event loops' samples in the
 * bench's JSON scenario were the count). Here each class is split into its ASCII members, listed one
 * by one so that {@code java.util.regex} puts them in one 128-entry bit table tested first, and the
 * original class restricted to non-ASCII, tested only when the bit table says no; and the optional
 * English contraction reads its apostrophe once instead of once per alternative.
 *
 * <p>Why it is the same: a class and its rewrite match exactly the same code points (checked for
 * every code point, U+0000 to U+10FFFF, in the tests); the contraction group's alternatives all start
 * with the apostrophe and differ in the next letter, so their order cannot matter; and the whole
 * pattern is compared with tiktoken's on random texts built from every character category the pattern
 * distinguishes, piece by piece, and the encodings with jtokkit's stock {@code o200k_base}, token by
 * token. Not a tokenizer of our own: jtokkit still finds, merges and ranks every piece.
 */
final class O200kEncoding {
  static final String NAME = "o200k_base";

  /** tiktoken's o200k_base pattern, as jtokkit 1.1.0 compiles it (with {@link #FLAGS}). */
  static final String TIKTOKEN_PATTERN = String.join("|",
      "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
      "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
      "\\p{N}{1,3}",
      " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*",
      "\\s*[\\r\\n]+",
      "\\s+(?!\\S)",
      "\\s+");

  /** jtokkit's flags: Unicode's White_Space for {@code \s}, Unicode case folding under {@code (?i)}. */
  static final int FLAGS = Pattern.UNICODE_CHARACTER_CLASS;

  /** One character class of the pattern, as tiktoken writes it and as we do. */
  record ClassRewrite(String name, String original, String fast) {}

  static final ClassRewrite UPPER = rewrite("upper", "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]",
      c -> c >= 'A' && c <= 'Z');
  static final ClassRewrite LOWER = rewrite("lower", "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]",
      c -> c >= 'a' && c <= 'z');
  static final ClassRewrite LEAD = rewrite("lead", "[^\\r\\n\\p{L}\\p{N}]",
      c -> c != '\r' && c != '\n' && !asciiLetter(c) && !asciiDigit(c));
  static final ClassRewrite NUMBER = rewrite("number", "\\p{N}", O200kEncoding::asciiDigit);
  static final ClassRewrite SYMBOL = rewrite("symbol", "[^\\s\\p{L}\\p{N}]",
      c -> !asciiSpace(c) && !asciiLetter(c) && !asciiDigit(c));
  static final List<ClassRewrite> CLASSES = List.of(UPPER, LOWER, LEAD, NUMBER, SYMBOL);

  /** {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)}: every alternative begins with the apostrophe. */
  private static final String CONTRACTION = "(?:'(?i:[st]|re|ve|m|ll|d))?";

  /** The same language as {@link #TIKTOKEN_PATTERN}, alternative for alternative. */
  static final List<String> FAST_ALTERNATIVES = List.of(
      LEAD.fast() + "?" + UPPER.fast() + "*" + LOWER.fast() + "+" + CONTRACTION,
      LEAD.fast() + "?" + UPPER.fast() + "+" + LOWER.fast() + "*" + CONTRACTION,
      NUMBER.fast() + "{1,3}",
      " ?" + SYMBOL.fast() + "+[\\r\\n/]*",
      "\\s*[\\r\\n]+",
      "\\s+(?!\\S)",
      "\\s+");

  static final String FAST_PATTERN = String.join("|", FAST_ALTERNATIVES);

  private static final String RANKS = "/com/knuddels/jtokkit/o200k_base.tiktoken";
  private static final Map<String, Integer> SPECIAL = Map.of("<|endoftext|>", 199_999, "<|endofprompt|>", 200_018);

  private O200kEncoding() {}

  /**
   * The class's ASCII members one by one (so that they land in {@code java.util.regex}'s bit table,
   * which is tested first), then the original class restricted to U+0080 and above. {@code ascii}
   * must say, for each ASCII char, whether the original class holds it: the tests check every code
   * point.
   */
  private static ClassRewrite rewrite(String name, String original, IntPredicate ascii) {
    StringBuilder fast = new StringBuilder("[[");
    for (int c = 0; c < 0x80; c++) {
      if (ascii.test(c)) {
        fast.append(String.format("\\x%02X", c));
      }
    }
    fast.append("][\\x{80}-\\x{10FFFF}&&").append(original).append("]]");
    return new ClassRewrite(name, original, fast.toString());
  }

  private static boolean asciiLetter(int c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  }

  private static boolean asciiDigit(int c) {
    return c >= '0' && c <= '9';
  }

  /** ASCII's White_Space: tab, LF, VT, FF, CR and space (not the separators U+001C to U+001F). */
  private static boolean asciiSpace(int c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
  }

  /** jtokkit's parameters for o200k_base with {@link #FAST_PATTERN}; loads the 200k ranks (~0.3 s). */
  static GptBytePairEncodingParams params() {
    return new GptBytePairEncodingParams(NAME, Pattern.compile(FAST_PATTERN, FLAGS), ranks(), SPECIAL);
  }

  /** The ranks file jtokkit ships: one {@code <base64 bytes> <rank>} per line. */
  private static Map<byte[], Integer> ranks() {
    try (InputStream in = O200kEncoding.class.getResourceAsStream(RANKS)) {
      if (in == null) {
        throw new IllegalStateException("jtokkit's " + RANKS + " is not on the class path");
      }
      BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII), 1 << 16);
      Map<byte[], Integer> ranks = new HashMap<>(270_000);
      Base64.Decoder base64 = Base64.getDecoder();
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        int space = line.indexOf(' ');
        if (space < 1) {
          throw new IllegalStateException(RANKS + ": a line without a rank");
        }
        ranks.put(base64.decode(line.substring(0, space)), Integer.parseInt(line, space + 1, line.length(), 10));
      }
      return ranks;
    } catch (IOException e) {
      throw new UncheckedIOException("reading jtokkit's " + RANKS, e);
    }
  }
}
