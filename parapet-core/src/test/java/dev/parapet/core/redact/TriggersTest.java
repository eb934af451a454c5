package dev.parapet.core.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.RedactionPattern;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The trigger prefilter is an optimisation only: with it, the redactor finds exactly what the
 * regex alone finds, for every pattern subset, every start offset, and text built to sit on the
 * edges of the triggers (partial prefixes, case variants, matches glued to each other).
 */
class TriggersTest {
  private static final List<RedactionPattern> ALL = List.of(RedactionPattern.values());

  /** Pieces that make, break and overlap triggers and matches. */
  private static final String[] PIECES = {
      " ", "  ", "\n", ".", "-", "_", "@", "%", "+", "/", "=", ",", "\"", "a", "Z", "x", "é", "\uD83D\uDE00",
      "0", "1", "4", "12", "123", "1234", "4111", "192.168.", "10.0.0.", "255", "1.2", "4111 1111 1111 1111",
      "4111-1111-1111-1111", "5555555555554444", "bob", "alice.b", "@example.com", "@ex", ".co", "x@y.zz",
      "sk-", "sk", "-proj-", "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAB7cDE0fGH", "AKIA", "ASIA", "AKIAIOSFODNN7EXAMPLE",
      "IOSFODNN7EXAMPL", "gh", "ghp_", "gho_", "ghx_", "github_pat_", "16C7e42F292c6912E7710c838347Ae178B4a",
      "xox", "xoxb-", "xoxq-", "1234567890-abc", "bearer", "Bearer ", "BEARER  ", "bEaReR", "bear",
      "abcdefghijklmnop0123", "eyJ", "eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiIxMjM0NTY3ODkwIn0", "eyj",
      "-----BEGIN ", "-----BEGIN", "RSA ", "PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "MIIEow",
      "Proc-Type: 4,ENCRYPTED", "--", "-----", Samples.JWT_IO, Samples.GHP, Samples.XOXB, Samples.SK_ANT,
  };

  @Test
  void findsExactlyWhatTheRegexAloneFinds() {
    compareOnRandomText(20261122, PIECES, 3000, 40);
  }

  /**
   * Numbers next to words, separators and e-mail addresses: the edges of the redactor's number
   * path (a digit trigger searched with the IPV4 and CREDIT_CARD regex over its run alone).
   */
  private static final String[] NUMBER_PIECES = {
      "0", "1", "7", "12", "255", "256", "2026", "4111", "01", ".", "..", " ", "  ", "-", "--", "-----BEGIN ",
      "a", "x", "_", "@", "@example.com", "@ex", ",", ":", "v", "\n", "4111 1111 1111 1111", "5555555555554444",
      "192.168.1.1", "10.0.0.", "1.2.3.4.5", "3.5", "é", "sk-", "eyJ",
  };

  @Test
  void numbersAmongWordsFindExactlyWhatTheRegexAloneFinds() {
    compareOnRandomText(20261123, NUMBER_PIECES, 6000, 30);
  }

  /**
   * The edges of the closed forms that decide literal triggers without re2j
   * (Redactor#literalTrigger): domains with many labels, dots that end them, TLDs followed by
   * digits or hyphens, local parts that run into other triggers, JWT parts just short of ten
   * characters or missing their dots, private key headers of each kind and near misses, bearer
   * tokens of 15 and 16 characters, keys one character short, AWS ids glued to a word.
   */
  private static final String[] LITERAL_PIECES = {
      "@", "@", "a", "Z", "9", "-", ".", ".", "..", ".-", "-x", ".cc", ".c", ".com1", ".d1", ".co-uk", "b", "@b",
      "@-b", "@b.cc", "x@y", ".aa.bb", "_", "%", "+", " ", "\n", "é", ",", "=", "eyJ", "eyJ", "eyJabcdefghij",
      "abcdefghi", "abcdefghijk", "eyJhbGciOiJIUzI1NiJ9", "-----BEGIN ", "-----BEGIN ", "RSA ", "EC ", "OPENSSH ",
      "ENCRYPTED ", "PRIVATE KEY-----", "PRIVATE KEY", "-----END PRIVATE KEY-----", "MIIEow", "Bearer ", "sk-",
      "1234", "1.2", Samples.JWT_IO, "bearer", "Bearer", "BEARER ", "bearer  ", "abcdefghijklmnop",
      "abcdefghijklmno", "==", "=", "/", "~", "abcdefghij0123456789", "abcdefghij012345678", "AKIA", "ASIA",
      "IOSFODNN7EXAMPLE", "IOSFODNN7EXAMPL", "ghp_", "ghs_", "github_pat_", "16C7e42F292c6912E7710c838347Ae178B4a",
      "xoxb-", "xoxa-", "1234567890", Samples.GHP, Samples.XOXB, Samples.SK_ANT,
  };

  @Test
  void emailJwtAndKeyTriggersFindExactlyWhatTheRegexAloneFinds() {
    compareOnRandomText(20261124, LITERAL_PIECES, 30_000, 25);
  }

  /**
   * Random texts of up to {@code maxPieces} pieces, random pattern sets (every third round all of
   * them) and start offsets: the prefiltered redactor finds what the regex alone finds, in a String
   * and in a StringBuilder (what the stream guard scans).
   */
  private static void compareOnRandomText(long seed, String[] pieces, int rounds, int maxPieces) {
    Random random = new Random(seed);
    for (int round = 0; round < rounds; round++) {
      EnumSet<RedactionPattern> enabled = EnumSet.noneOf(RedactionPattern.class);
      for (RedactionPattern p : ALL) {
        if (round % 3 == 0 || random.nextBoolean()) {
          enabled.add(p);
        }
      }
      StringBuilder sb = new StringBuilder();
      int count = 1 + random.nextInt(maxPieces);
      for (int i = 0; i < count; i++) {
        sb.append(pieces[random.nextInt(pieces.length)]);
      }
      String text = sb.toString();
      Redactor fast = Redactor.forPatterns(enabled);
      Redactor plain = Redactor.withoutPrefilter(enabled);
      int from = random.nextInt(text.length() + 1);
      List<Match> expected = all(plain, text, from);
      assertEquals(expected, all(fast, text, from), () -> enabled + " from " + from + ": " + text);
      assertEquals(expected, all(fast, sb, from), () -> enabled + " (builder) from " + from + ": " + text);
      assertEquals(plain.redact(text), fast.redact(text), () -> enabled + ": " + text);
    }
  }

  /**
   * A trigger with no match at it, then a long tail: the scan decides the trigger on its own
   * (Redactor#literalTrigger) and goes on, and still finds every later match, a private key's body
   * across any characters included.
   */
  @Test
  void aStrayTriggerBeforeALongTailFindsExactlyWhatTheRegexAloneFinds() {
    String prose = "The review covered billing, the on-call rotation; and (next year) the budget.\n".repeat(40);
    String key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA, body; with \"any\" chars\n"
        + "-----END RSA PRIVATE KEY-----";
    List<String> texts = List.of(
        "@Override\n" + prose,
        "@Override\n" + prose + " mail ops@example.com, thanks",
        "Bearer x " + prose + key,
        "user@host, " + prose + Samples.JWT_IO + "\n" + prose,
        "-----BEGIN " + prose + key,
        "eyJ." + prose + "sk-" + "a".repeat(30) + " and bearer " + "b".repeat(20),
        "x@y " + key + prose + "10.1.2.3, 4111 1111 1111 1111");
    for (String text : texts) {
      for (EnumSet<RedactionPattern> enabled : List.of(EnumSet.allOf(RedactionPattern.class),
          EnumSet.complementOf(EnumSet.of(RedactionPattern.PRIVATE_KEY)), EnumSet.of(RedactionPattern.EMAIL))) {
        Redactor fast = Redactor.forPatterns(enabled);
        Redactor plain = Redactor.withoutPrefilter(enabled);
        for (int from : new int[] {0, 1, 5, text.length() / 2}) {
          assertEquals(all(plain, text, from), all(fast, text, from), () -> enabled + " from " + from + ": " + text);
        }
        assertEquals(plain.redact(text), fast.redact(text), () -> enabled + ": " + text);
      }
    }
  }

  @Test
  void everySampleStillMatchesAndEveryNearMissStillDoesNot() {
    Redactor fast = Redactor.forPatterns(ALL);
    Redactor plain = Redactor.withoutPrefilter(ALL);
    for (Map.Entry<RedactionPattern, List<String[]>> e : Samples.MUST_MATCH.entrySet()) {
      for (String[] row : e.getValue()) {
        assertEquals(plain.matches(row[0]), fast.matches(row[0]), row[0]);
        assertTrue(fast.scan(row[0]).matched(), row[0]);
      }
    }
  }

  @Test
  void textWithoutATriggerIsNotSearched() {
    Triggers t = new Triggers(EnumSet.allOf(RedactionPattern.class));
    String prose = "The team met on March 14 to review 3 incidents and 12,500 dollars of spend. ".repeat(50);
    assertEquals(-1, candidateStart(t, prose, 0));
    assertEquals(-1, candidateStart(t, "bear with me, sk8 and AKI", 0));
    // the EMAIL local part before '@' is where the search starts
    assertEquals(4, candidateStart(t, "hi, bob.smith@example.com", 0));
    assertEquals(6, candidateStart(t, "hi, bob.smith@example.com", 6));
    // a card's first four digits; an address's first digit
    assertEquals(5, candidateStart(t, "card 4111 1111 1111 1111", 0));
    assertEquals(3, candidateStart(t, "ip 10.0.0.1", 0));
  }

  private static int candidateStart(Triggers t, String text, int from) {
    long c = t.candidate(text, from);
    return c < 0 ? -1 : Triggers.start(c);
  }

  private static List<Match> all(Redactor r, CharSequence text, int from) {
    List<Match> out = new ArrayList<>();
    r.forEachMatch(text, from, m -> out.add(m));
    return out;
  }
}
