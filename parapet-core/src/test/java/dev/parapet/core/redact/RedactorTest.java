package dev.parapet.core.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.parapet.core.config.RedactionPattern;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RedactorTest {
  static final Redactor ALL = Redactor.forPatterns(List.of(RedactionPattern.values()));

  @Test
  void redactsEachMatchWithItsPatternName() {
    String text = "Contact alice@example.com, key " + Samples.SK_PROJ
        + ", card 4111 1111 1111 1111, host 10.0.0.1.";
    Redacted r = ALL.redact(text);
    assertEquals("Contact [REDACTED:EMAIL], key [REDACTED:API_KEY], card [REDACTED:CREDIT_CARD],"
        + " host [REDACTED:IPV4].", r.text());
    assertEquals(Map.of(RedactionPattern.EMAIL, 1, RedactionPattern.API_KEY, 1,
        RedactionPattern.CREDIT_CARD, 1, RedactionPattern.IPV4, 1), r.counts());
    assertEquals(4, r.total());
  }

  @Test
  void redactsWholePemBlocksAndTruncatedKeys() {
    assertEquals("here:\n[REDACTED:PRIVATE_KEY]\nthanks",
        ALL.redact("here:\n" + Samples.RSA_BLOCK + "\nthanks").text());
    assertEquals("[REDACTED:PRIVATE_KEY]\nThanks!",
        ALL.redact("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nThanks!").text());
  }

  @Test
  void aTruncatedKeySwallowsFollowingBase64LikeLines() {
    assertEquals("[REDACTED:PRIVATE_KEY]\nbye",
        ALL.redact("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n4012888888881881\nbye").text());
  }

  @Test
  void aMatchHidesPatternsInsideIt() {
    Redacted r = ALL.redact("Authorization: Bearer " + Samples.JWT_IO);
    assertEquals("Authorization: [REDACTED:BEARER_TOKEN]", r.text());
    assertEquals(Map.of(RedactionPattern.BEARER_TOKEN, 1), r.counts());
    // Without BEARER_TOKEN enabled, the JWT inside is still found.
    Redacted jwtOnly = Redactor.forPatterns(List.of(RedactionPattern.JWT)).redact("Bearer " + Samples.JWT_IO);
    assertEquals("Bearer [REDACTED:JWT]", jwtOnly.text());
  }

  @Test
  void cleanTextIsReturnedAsIs() {
    String text = "Summarise the attached quarterly report in three bullet points.";
    Redacted r = ALL.redact(text);
    assertSame(text, r.text());
    assertEquals(0, r.total());
    assertFalse(ALL.scan(text).matched());
  }

  @Test
  void onlyEnabledPatternsCount() {
    Redactor emailOnly = Redactor.forPatterns(List.of(RedactionPattern.EMAIL));
    Redacted r = emailOnly.redact("a@example.com 10.0.0.1 " + Samples.SK_PROJ);
    assertEquals("[REDACTED:EMAIL] 10.0.0.1 " + Samples.SK_PROJ, r.text());
    assertEquals(ScanResult.NONE, Redactor.forPatterns(List.of()).scan("a@example.com"));
  }

  @Test
  void firstIsTheLeftmostMatch() {
    ScanResult r = ALL.scan("ip 10.0.0.1 then alice@example.com and bob@example.com");
    assertEquals(Optional.of(RedactionPattern.IPV4), r.first());
    assertEquals(Map.of(RedactionPattern.IPV4, 1, RedactionPattern.EMAIL, 2), r.counts());
  }

  @Test
  void aRejectedCardCandidateDoesNotHideTheCardAfterIt() {
    // Greedy grouping first takes 5 groups (20 digits): rejected, and the search resumes inside.
    assertEquals("9 [REDACTED:CREDIT_CARD]", ALL.redact("9 4111 1111 1111 1111").text());
    assertEquals("1.2.3.4.5 and [REDACTED:IPV4]", ALL.redact("1.2.3.4.5 and 10.1.1.1").text());
  }

  @Test
  void aNumberRunDoesNotHideAPatternStartingInsideIt() {
    assertEquals("call 1234 [REDACTED:EMAIL]", ALL.redact("call 1234 5678@example.com").text());
    assertEquals("port 1234 [REDACTED:IPV4] up", ALL.redact("port 1234 10.0.0.1 up").text());
  }

  @Test
  void findsCardsInsideLongerRunsOfGroups() {
    assertEquals("[REDACTED:CREDIT_CARD] 2024", ALL.redact("4111 1111 1111 1111 2024").text());
    assertEquals("[REDACTED:CREDIT_CARD] [REDACTED:CREDIT_CARD]",
        ALL.redact("4111 1111 1111 1111 5555 5555 5555 4444").text());
    assertEquals("no 4111 1111 1111 1112 here", ALL.redact("no 4111 1111 1111 1112 here").text());
  }

  @Test
  void isCachedPerPatternSetRegardlessOfOrder() {
    assertSame(Redactor.forPatterns(List.of(RedactionPattern.EMAIL, RedactionPattern.IPV4)),
        Redactor.forPatterns(List.of(RedactionPattern.IPV4, RedactionPattern.EMAIL, RedactionPattern.EMAIL)));
  }

  /**
   * One combined pass finds exactly what one scan per pattern finds, on texts mixing samples of
   * every pattern (each sample matches only its own pattern, so no two matches overlap).
   */
  @Test
  void onePassEqualsOneScanPerPattern() {
    List<String> pure = new ArrayList<>();
    Samples.MUST_MATCH.forEach((p, rows) -> rows.forEach(r -> {
      // Left out: a Bearer sample that holds a JWT, and the truncated PEM key, whose match
      // deliberately swallows a following base64-looking line (it may be the rest of the key).
      boolean overlaps = (p == RedactionPattern.BEARER_TOKEN && r[0].contains("eyJ"))
          || (p == RedactionPattern.PRIVATE_KEY && !r[1].contains("-----END"));
      if (!overlaps) {
        pure.add(r[1]);
      }
    }));
    pure.sort(Comparator.naturalOrder());
    for (String s : pure) {
      assertEquals(1, ALL.matches(s).size(), s);
    }
    String[] separators = {" | ", "\n", " ; ", ", ", "\t"};
    SplittableRandom rnd = new SplittableRandom(42);
    for (int round = 0; round < 300; round++) {
      StringBuilder text = new StringBuilder("start ");
      int n = 1 + rnd.nextInt(8);
      for (int i = 0; i < n; i++) {
        text.append(pure.get(rnd.nextInt(pure.size()))).append(separators[rnd.nextInt(separators.length)]);
      }
      List<Match> perPattern = new ArrayList<>();
      for (RedactionPattern p : EnumSet.allOf(RedactionPattern.class)) {
        perPattern.addAll(Redactor.forPatterns(List.of(p)).matches(text));
      }
      perPattern.sort(Comparator.comparingInt(Match::start));
      assertEquals(perPattern, ALL.matches(text), text.toString());
      assertEquals(n, perPattern.size());
    }
  }
}
