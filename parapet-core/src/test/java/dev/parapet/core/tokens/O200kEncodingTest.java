package dev.parapet.core.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import dev.parapet.core.config.ProviderType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@link O200kEncoding}'s pattern is tiktoken's o200k_base pattern in other words: each rewritten
 * class holds exactly the same code points (all of them are tried), the whole pattern cuts random
 * texts into the same pieces, and the encoding gives jtokkit's stock o200k_base tokens.
 */
class O200kEncodingTest {
  private static final Encoding STOCK = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
  private static final Pattern TIKTOKEN = Pattern.compile(O200kEncoding.TIKTOKEN_PATTERN, O200kEncoding.FLAGS);
  private static final Pattern FAST = Pattern.compile(O200kEncoding.FAST_PATTERN, O200kEncoding.FLAGS);

  /**
   * Code points where the pattern's classes differ, and the runs that make its alternatives and
   * their backtracking meet: every general category, every White_Space, the line ends, the
   * contraction letters with their Unicode case partners (ſ folds to s), supplementary letters,
   * digits and marks, and lone surrogates.
   */
  private static final String[] PIECES = {
    "a", "z", "A", "Z", "0", "9", " ", "  ", "\t", "\n", "\r", "\r\n", "\u000B", "\f", "\u001C", "\u001F",
    "\u0085", "\u00A0", "\u1680", "\u2000", "\u2028", "\u2029", "\u202F", "\u3000", "'", "'s", "'S", "'\u017F",
    "'t", "'T", "'re", "'RE", "'Ve", "'m", "'M", "'ll", "'lL", "'d", "'D", "'x", "''", "/", "//", "\\", ".",
    ",", "!", "?", "-", "_", "(", ")", "{", "}", "\"", "#", "$", "%", "&", "*", "+", "<", "=", ">", "@", "[",
    "]", "^", "`", "|", "~", "\u0000", "\u007F", "\u0080", "\u00AA", "\u00B2", "\u00B5", "\u00BA", "\u00BD",
    "\u00C0", "\u00DF", "\u00E9", "\u00FF", "\u017F", "\u01C5", "\u02B0", "\u0301", "\u0903", "\u20DD",
    "\u0391", "\u03B1", "\u0410", "\u0430", "\u05D0", "\u0627", "\u0660", "\u0966", "\u16EE", "\u2160",
    "\u2170", "\u3007", "\u4E2D", "\u3042", "\uAC00", "\u212A", "\u2126", "\u0130", "\u0131", "\u1E9E",
    "\uFF21", "\uFF41", "\uFF10", "\u00AD", "\u200B", "\u200D", "\uFEFF", "\u2019", "\u00AB", "\u20AC",
    "\uD835\uDC00", "\uD835\uDC1A", "\uD835\uDFCE", "\uD83D\uDE00", "\uD83D\uDC4D\uD83C\uDFFD", "\uD800",
    "\uDC00", "\uDBFF\uDFFF", "\uD834\uDD65", "\uD801\uDC00", "\uD801\uDC28", "Hello", "HELLO", "hello",
    "McDonald", "iPhone", "naïve", "Ǆemal", "ǅemal", "ǆemal", "123", "1234567", "v2.0", "x86_64", " word",
    "\nword", "\n\n", " \n ", "  \t", "https://example.com/a/b", "<|endoftext|>",
  };

  @Test
  void everyRewrittenClassHoldsExactlyTheOriginalsCodePoints() {
    for (O200kEncoding.ClassRewrite c : O200kEncoding.CLASSES) {
      Matcher original = Pattern.compile(c.original(), O200kEncoding.FLAGS).matcher("");
      Matcher fast = Pattern.compile(c.fast(), O200kEncoding.FLAGS).matcher("");
      int members = 0;
      StringBuilder one = new StringBuilder(2);
      for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
        one.setLength(0);
        one.appendCodePoint(cp);
        boolean expected = original.reset(one).matches();
        assertEquals(expected, fast.reset(one).matches(), () -> c.name() + " at U+" + Integer.toHexString(one.codePointAt(0)));
        members += expected ? 1 : 0;
      }
      assertTrue(members > 100, c.name() + " holds " + members + " code points: not a vacuous check");
    }
  }

  @Test
  void theWholePatternCutsRandomTextsIntoTheSamePieces() {
    Random random = new Random(20261206);
    for (int i = 0; i < 30_000; i++) {
      String text = randomText(random, 1 + random.nextInt(12));
      assertEquals(pieces(TIKTOKEN, text), pieces(FAST, text), () -> "text " + escape(text));
    }
  }

  @Test
  void theEncodingGivesJtokkitsStockTokens() {
    Encoding ours = com.knuddels.jtokkit.Encodings.newLazyEncodingRegistry()
        .registerGptBytePairEncoding(O200kEncoding.params()).getEncoding(O200kEncoding.NAME).orElseThrow();
    Random random = new Random(7);
    List<String> texts = new ArrayList<>(List.of(String.join("", PIECES),
        "The quick brown fox jumps over the lazy dog. It's 12:30 and we've 3,141 items in stock!",
        "def f(x):\n    return x ** 2  # squared\n\n\nprint(f(12345678))\r\n",
        "Перевод: «Привет, мир!» — 你好，世界。こんにちは 👋🏽 naïve café ſtraße ǅ ²½ Ⅻ"));
    for (int i = 0; i < 3_000; i++) {
      texts.add(randomText(random, 1 + random.nextInt(40)));
    }
    for (String text : texts) {
      assertEquals(STOCK.encodeOrdinary(text).boxed(), ours.encodeOrdinary(text).boxed(), () -> "text " + escape(text));
      assertEquals(STOCK.countTokensOrdinary(text), ours.countTokensOrdinary(text));
    }
  }

  @Test
  void theCounterUsesIt() {
    // Registered under the stock name, it is what the lazy registry hands out for O200K_BASE
    // (the stock encoding is then never loaded): the counters ask by type.
    EncodingRegistry registry = Encodings.newLazyEncodingRegistry().registerGptBytePairEncoding(O200kEncoding.params());
    assertSame(registry.getEncoding(O200kEncoding.NAME).orElseThrow(), registry.getEncoding(EncodingType.O200K_BASE));
    TokenCounter gpt4o = TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o-2024-08-06");
    assertEquals(O200kEncoding.NAME, gpt4o.encodingName());
    String text = String.join(" ", PIECES);
    assertEquals(STOCK.countTokensOrdinary(text), gpt4o.count(text));
  }

  /** The checks above have teeth: a class that loses a member, or swapped alternatives, are caught. */
  @Test
  void aRewriteThatLosesACodePointOrReordersIsCaught() {
    String lostNonAscii = O200kEncoding.LOWER.fast().replace("[\\x{80}-\\x{10FFFF}", "[\\x{100}-\\x{10FFFF}");
    assertTrue(Pattern.compile(O200kEncoding.LOWER.original(), O200kEncoding.FLAGS).matcher("\u00DF").matches());
    assertFalse(Pattern.compile(lostNonAscii, O200kEncoding.FLAGS).matcher("\u00DF").matches(), "ß is caught");

    // The two letter alternatives in the other order: a mark can lead either, and which is tried
    // first decides the piece ("\u0301A." is one piece or two). The random texts find such a case.
    List<String> alternatives = new ArrayList<>(O200kEncoding.FAST_ALTERNATIVES);
    alternatives.add(0, alternatives.remove(1));
    Pattern swapped = Pattern.compile(String.join("|", alternatives), O200kEncoding.FLAGS);
    assertNotEquals(pieces(TIKTOKEN, "\u0301A."), pieces(swapped, "\u0301A."));
    Random random = new Random(20261206);
    int differ = 0;
    for (int i = 0; i < 30_000; i++) {
      String text = randomText(random, 1 + random.nextInt(12));
      differ += pieces(TIKTOKEN, text).equals(pieces(swapped, text)) ? 0 : 1;
    }
    assertTrue(differ > 0, "the random texts tell the swapped pattern apart");
  }

  private static String randomText(Random random, int pieces) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < pieces; i++) {
      b.append(PIECES[random.nextInt(PIECES.length)]);
    }
    return b.toString();
  }

  private static List<String> pieces(Pattern pattern, String text) {
    List<String> out = new ArrayList<>();
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      out.add(m.start() + ":" + m.end());
    }
    return out;
  }

  private static String escape(String s) {
    StringBuilder b = new StringBuilder();
    s.chars().forEach(c -> b.append(c < 0x20 || c > 0x7E ? String.format("\\u%04X", c) : String.valueOf((char) c)));
    return b.toString();
  }
}
