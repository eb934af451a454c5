package dev.parapet.core.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.RedactionPattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OutputScannerTest {
  static final Redactor ALL = Redactor.forPatterns(List.of(RedactionPattern.values()));

  /** Feeds {@code text} in {@code size}-char deltas; returns every report with its delta index. */
  static List<String> feedInChunks(OutputScanner s, String text, int size) {
    List<String> reports = new ArrayList<>();
    for (int i = 0, n = 0; i < text.length(); i += size, n++) {
      int idx = n;
      s.feed(text.substring(i, Math.min(text.length(), i + size))).ifPresent(p -> reports.add(p + "@" + idx));
    }
    s.finish().ifPresent(p -> reports.add(p + "@end"));
    return reports;
  }

  @ParameterizedTest(name = "key split in {0}-char deltas")
  @ValueSource(ints = {1, 2, 3, 5, 7, 16, 64})
  void catchesAKeySplitAcrossDeltas(int size) {
    String text = "Sure, the key is " + Samples.SK_PROJ + " and that is all.";
    List<String> reports = feedInChunks(new OutputScanner(ALL), text, size);
    assertEquals(1, reports.size(), reports::toString);
    // Reported on the delta that completes the minimum key length, not later.
    int keyStart = text.indexOf("sk-");
    int expectedDelta = (keyStart + "sk-".length() + 20 - 1) / size;
    assertEquals("API_KEY@" + expectedDelta, reports.get(0));
  }

  @Test
  void catchesAKeySplitAtEveryPossiblePoint() {
    String text = "token " + Samples.GHP + " end";
    for (int cut = 1; cut < text.length(); cut++) {
      OutputScanner s = new OutputScanner(ALL);
      Optional<RedactionPattern> a = s.feed(text.substring(0, cut));
      Optional<RedactionPattern> b = s.feed(text.substring(cut));
      assertEquals(1, (a.isPresent() ? 1 : 0) + (b.isPresent() ? 1 : 0), "cut at " + cut);
      assertEquals(Optional.empty(), s.finish());
    }
  }

  @ParameterizedTest(name = "PEM header split in {0}-char deltas")
  @ValueSource(ints = {1, 2, 3, 4, 9})
  void catchesAPemHeaderSplitAcrossDeltas(int size) {
    String text = "Here you go:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE";
    List<String> reports = feedInChunks(new OutputScanner(ALL), text, size);
    assertEquals(1, reports.size(), reports::toString);
    int headerEnd = text.indexOf("KEY-----") + "KEY-----".length();
    assertEquals("PRIVATE_KEY@" + ((headerEnd - 1) / size), reports.get(0));
  }

  @Test
  void reportsEachMatchOnce() {
    OutputScanner s = new OutputScanner(ALL);
    assertEquals(Optional.of(RedactionPattern.EMAIL), s.feed("write to alice@example.com"));
    assertEquals(Optional.empty(), s.feed(".au please"));
    assertEquals(Optional.empty(), s.feed(" and nothing else"));
    assertEquals(Optional.of(RedactionPattern.IPV4), s.feed(" or 10.0.0.1 "));
    assertEquals(Optional.empty(), s.feed("bye"));
    assertEquals(Optional.empty(), s.finish());
  }

  @Test
  void waitsForTheNextDeltaBeforeJudgingANumber() {
    OutputScanner s = new OutputScanner(ALL);
    assertEquals(Optional.empty(), s.feed("card 4111 1111 1111 1111"));
    assertEquals(Optional.of(RedactionPattern.CREDIT_CARD), s.feed(" ok"));

    OutputScanner order = new OutputScanner(ALL);
    assertEquals(Optional.empty(), order.feed("order 4111111111111111"));
    assertEquals(Optional.empty(), order.feed("2222 shipped")); // 20 digits: not a card
    assertEquals(Optional.empty(), order.finish());

    OutputScanner version = new OutputScanner(ALL);
    assertEquals(Optional.empty(), version.feed("version 1.2.3.4"));
    assertEquals(Optional.empty(), version.feed(".5 released"));

    OutputScanner last = new OutputScanner(ALL);
    assertEquals(Optional.empty(), last.feed("the host is 192.168.0.7"));
    assertEquals(Optional.of(RedactionPattern.IPV4), last.finish());
  }

  /** held(): the match a reader of the text so far has at its end, asked without deciding it. */
  @Test
  void heldIsWhatTheEndWouldReportAndDecidesNothing() {
    OutputScanner s = new OutputScanner(ALL);
    assertEquals(Optional.empty(), s.feed("card 4111 1111 1111 1111"));
    assertEquals(Optional.of(RedactionPattern.CREDIT_CARD), s.held());
    assertEquals(Optional.of(RedactionPattern.CREDIT_CARD), s.held()); // asking decides nothing
    assertEquals(Optional.empty(), s.feed("2345")); // 20 digits: an order number after all
    assertEquals(Optional.empty(), s.held());
    assertEquals(Optional.empty(), s.feed(" then 10.1.2.3"));
    assertEquals(Optional.of(RedactionPattern.IPV4), s.held());
    assertEquals(Optional.of(RedactionPattern.IPV4), s.feed(" ok")); // reported, so no longer held
    assertEquals(Optional.empty(), s.held());
    assertEquals(Optional.empty(), s.finish());

    // Cut anywhere, in any delta size: after the feeds (their reports drained), held() is what finish() reports.
    String text = "ping 10.1.2.3, card 4111-1111-1111-1111 or order 4111111111111111 2222, v1.2.3.4.5 at 192.168.0.7";
    for (int size : new int[] {1, 3, 7}) {
      for (int cut = 1; cut <= text.length(); cut++) {
        OutputScanner t = new OutputScanner(ALL);
        for (int i = 0; i < cut; i += size) {
          for (Optional<RedactionPattern> r = t.feed(text.substring(i, Math.min(cut, i + size))); r.isPresent();
              r = t.feed("")) {
            // drained: every match that needs no more text is reported
          }
        }
        Optional<RedactionPattern> held = t.held();
        assertEquals(t.finish(), held, "size " + size + ", cut at " + cut);
      }
    }
  }

  @Test
  void findsAKeyAfterALongRunWithNoBreakCharacter() {
    // 10 000 characters that could all be inside a match, then a key: the window bounds the
    // rescan, and the key (far shorter than the window) is still caught.
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 1_000; i++) {
      text.append("word word ");
    }
    text.append(Samples.SK_PROJ);
    List<String> reports = feedInChunks(new OutputScanner(ALL), text.toString(), 3);
    assertEquals(1, reports.size(), reports::toString);
    assertTrue(reports.get(0).startsWith("API_KEY@"));
  }

  /**
   * Streaming in random deltas reports the same matches, in the same order, as one scan of the
   * whole answer, on answers mixing every pattern's samples with prose and separators.
   */
  @Test
  void randomDeltasReportWhatAWholeScanFinds() {
    List<String> pieces = new ArrayList<>();
    Samples.MUST_MATCH.forEach((p, rows) -> rows.forEach(r -> {
      if (!(p == RedactionPattern.BEARER_TOKEN && r[0].contains("eyJ"))
          && !(p == RedactionPattern.PRIVATE_KEY && !r[1].contains("-----END"))) {
        pieces.add(r[1]);
      }
    }));
    pieces.sort(null);
    String[] prose = {"Here is the answer", "as requested", "version 1.2.3.4.5", "order 12345678901234567890123",
        "see RFC 6750", "tokens and bearer bonds"};
    String[] separators = {"\n", ", ", " | ", "; ", "\t"};
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(1234);
    for (int round = 0; round < 2_000; round++) {
      StringBuilder text = new StringBuilder();
      int n = 1 + rnd.nextInt(6);
      for (int i = 0; i < n; i++) {
        text.append(rnd.nextBoolean() ? pieces.get(rnd.nextInt(pieces.size())) : prose[rnd.nextInt(prose.length)])
            .append(separators[rnd.nextInt(separators.length)]);
      }
      List<RedactionPattern> whole = ALL.matches(text).stream().map(Match::pattern).toList();
      OutputScanner s = new OutputScanner(ALL, 256);
      List<RedactionPattern> streamed = new ArrayList<>();
      for (int i = 0; i < text.length(); ) {
        int next = Math.min(text.length(), i + 1 + rnd.nextInt(12));
        for (Optional<RedactionPattern> r = s.feed(text.substring(i, next)); r.isPresent(); r = s.feed("")) {
          streamed.add(r.get());
        }
        i = next;
      }
      for (Optional<RedactionPattern> r = s.finish(); r.isPresent(); r = s.finish()) {
        streamed.add(r.get());
      }
      assertEquals(whole, streamed, text.toString());
    }
  }

  @Test
  void anEmptyPatternSetNeverReports() {
    OutputScanner s = new OutputScanner(Redactor.forPatterns(List.of()));
    assertEquals(Optional.empty(), s.feed("alice@example.com " + Samples.SK_PROJ));
    assertEquals(Optional.empty(), s.finish());
  }

  /**
   * Skipping the part of the kept run already found free of triggers changes nothing: on random
   * text dense in trigger characters, fed in random deltas with random pattern sets and windows,
   * the incremental scanner reports exactly what a full rescan per delta reports, delta by delta.
   */
  @Test
  void skippingTheQuietPartReportsExactlyWhatAFullRescanDoes() {
    java.util.Random rnd = new java.util.Random(20261122);
    String[] atoms = {"a", "b", "e", "y", "J", "s", "k", "-", "A", "K", "I", "g", "h", "p", "_", "x", "o",
        "@", ".", "0", "1", "4", "9", " ", "\n", ",", "eyJ", "sk-", "AKIA", "ghp_", "-----BEGIN ",
        "bearer ", "xoxb-", "4111", "1.2", "example.com", "github_pat_", "tok12 "};
    RedactionPattern[] all = RedactionPattern.values();
    for (int round = 0; round < 400; round++) {
      List<RedactionPattern> enabled = new ArrayList<>();
      for (RedactionPattern p : all) {
        if (rnd.nextInt(3) > 0) {
          enabled.add(p);
        }
      }
      if (enabled.isEmpty()) {
        enabled.add(all[rnd.nextInt(all.length)]);
      }
      Redactor redactor = Redactor.forPatterns(enabled);
      int window = 64 + rnd.nextInt(200);
      OutputScanner fast = new OutputScanner(redactor, window, true);
      OutputScanner full = new OutputScanner(redactor, window, false);
      StringBuilder text = new StringBuilder();
      int len = 50 + rnd.nextInt(600);
      while (text.length() < len) {
        text.append(atoms[rnd.nextInt(atoms.length)]);
      }
      for (int i = 0; i < text.length(); ) {
        int size = 1 + rnd.nextInt(rnd.nextBoolean() ? 3 : 40);
        String delta = text.substring(i, Math.min(text.length(), i + size));
        i += size;
        assertEquals(full.feed(delta), fast.feed(delta), "round " + round + " " + enabled + " at " + i + ": " + text);
      }
      for (int k = 0; k < 3; k++) {
        assertEquals(full.finish(), fast.finish(), "finish, round " + round);
      }
    }
  }
}
