package dev.parapet.core.redact;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import dev.parapet.core.config.RedactionPattern;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds and replaces the built-in patterns of SPEC §2 in one linear pass.
 *
 * <p><b>One pass.</b> The enabled patterns are combined into a single re2j alternation with one
 * capturing group per pattern, and a single {@code find} loop walks the text: the cost is one
 * linear-time scan however many patterns are enabled. re2j (RE2) never backtracks, so no input
 * can make a scan super-linear the way {@code java.util.regex} can be made to.
 *
 * <p><b>Overlaps.</b> The leftmost match wins. Among matches starting at the same position, the
 * pattern earlier in a fixed priority order wins (PRIVATE_KEY, JWT, BEARER_TOKEN, API_KEY, EMAIL,
 * IPV4, CREDIT_CARD), whatever order the route lists them in; a match hides any other pattern's
 * match inside it (so {@code Bearer eyJ…} counts once, as BEARER_TOKEN). Scanning resumes after
 * the match.
 *
 * <p><b>Checks after the regex.</b> IPV4 and CREDIT_CARD match whole runs of numbers
 * ({@code 1.2.3.4.5}, {@code 9 4111 1111 1111 1111}) and Java decides: an address must have
 * exactly four parts of 0-255 and not be loopback or 0.0.0.0; a card is a Luhn-valid sub-run of
 * 13-19 digits in card-like groups. Each run is examined once, in time linear in its length, and
 * the search resumes at its end, or after its last space where another pattern could start
 * ({@code 1234 5678@example.com}); re2j's per-{@code find} cost is high, so the design avoids
 * retrying a search at every character of a rejected candidate.
 *
 * <p><b>Prefilter.</b> re2j has no DFA: its NFA scans a few MB/s, slower than a prompt should
 * cost. Every pattern's match contains a short literal trigger ({@code @}, {@code eyJ}, four
 * digits…), so {@link Triggers} first finds, with a plain loop, where the leftmost match could
 * start; text without a trigger is never handed to re2j. The matches are exactly the regex's
 * ({@code TriggersTest} checks this against the regex alone).
 *
 * <p>Instances are immutable, thread-safe and cached per pattern set.
 */
public final class Redactor {
  private static final Map<Set<RedactionPattern>, Redactor> CACHE = new ConcurrentHashMap<>();

  private final List<RedactionPattern> groups; // group i+1 is groups.get(i)
  private final Optional<Pattern> combined;
  private final Optional<Triggers> triggers;

  private Redactor(Set<RedactionPattern> enabled, boolean prefilter) {
    List<RedactionPattern> order = new ArrayList<>();
    StringBuilder alternation = new StringBuilder();
    for (RedactionPattern p : Shapes.PRIORITY) {
      if (enabled.contains(p)) {
        alternation.append(order.isEmpty() ? "" : "|").append('(').append(Shapes.regex(p)).append(')');
        order.add(p);
      }
    }
    this.groups = List.copyOf(order);
    this.combined = order.isEmpty() ? Optional.empty() : Optional.of(Pattern.compile(alternation.toString()));
    this.triggers = prefilter ? Optional.of(new Triggers(enabled)) : Optional.empty();
  }

  /** The redactor for these patterns (order and repeats do not matter). */
  public static Redactor forPatterns(Collection<RedactionPattern> patterns) {
    Objects.requireNonNull(patterns, "patterns");
    Set<RedactionPattern> key = patterns.isEmpty() ? EnumSet.noneOf(RedactionPattern.class) : EnumSet.copyOf(patterns);
    return CACHE.computeIfAbsent(Set.copyOf(key), k -> new Redactor(key, true));
  }

  /** The same patterns searched by the regex alone, with no {@link Triggers} prefilter (tests). */
  static Redactor withoutPrefilter(Collection<RedactionPattern> patterns) {
    return new Redactor(patterns.isEmpty() ? EnumSet.noneOf(RedactionPattern.class) : EnumSet.copyOf(patterns), false);
  }

  /** The patterns this redactor looks for, in priority order. */
  public List<RedactionPattern> patterns() {
    return groups;
  }

  /** Counts matches per pattern without building new text ({@code block} mode, metrics). */
  public ScanResult scan(CharSequence text) {
    Objects.requireNonNull(text, "text");
    Map<RedactionPattern, Integer> counts = new EnumMap<>(RedactionPattern.class);
    Match[] first = new Match[1];
    forEachMatch(text, 0, m -> {
      counts.merge(m.pattern(), 1, Integer::sum);
      if (first[0] == null) {
        first[0] = m;
      }
      return true;
    });
    return first[0] == null ? ScanResult.NONE
        : new ScanResult(counts, Optional.of(first[0].pattern()));
  }

  /** Every match, left to right (for tests and tools; the gateway needs only counts). */
  public List<Match> matches(CharSequence text) {
    List<Match> out = new ArrayList<>();
    forEachMatch(text, 0, m -> out.add(m));
    return out;
  }

  /** {@code text} with each match replaced by {@code [REDACTED:<PATTERN>]}. */
  public Redacted redact(String text) {
    Objects.requireNonNull(text, "text");
    Map<RedactionPattern, Integer> counts = new EnumMap<>(RedactionPattern.class);
    StringBuilder out = new StringBuilder(text.length());
    int[] copied = {0};
    forEachMatch(text, 0, m -> {
      counts.merge(m.pattern(), 1, Integer::sum);
      out.append(text, copied[0], m.start()).append("[REDACTED:").append(m.pattern().name()).append(']');
      copied[0] = m.end();
      return true;
    });
    if (counts.isEmpty()) {
      return new Redacted(text, Map.of());
    }
    out.append(text, copied[0], text.length());
    return new Redacted(out.toString(), counts);
  }

  /**
   * Whether a match may start at or after {@code from}, given that no trigger started in
   * {@code [from, quietEnd)} when the text ended at {@code quietEnd} ({@link Triggers#anyAfterQuiet});
   * false means {@link #forEachMatch} from {@code from} would visit nothing.
   */
  boolean mayMatch(CharSequence text, int from, int quietEnd) {
    if (combined.isEmpty()) {
      return false;
    }
    return triggers.isEmpty() || triggers.get().anyAfterQuiet(text, from, quietEnd);
  }

  /** Visits accepted matches starting at or after {@code from} while the visitor returns true. */
  void forEachMatch(CharSequence text, int from, MatchVisitor visitor) {
    if (combined.isEmpty()) {
      return;
    }
    Matcher m = combined.get().matcher(text);
    int pos = from;
    while (pos <= text.length()) {
      // Skip to where a match can first start (Triggers): re2j scans a few MB/s, a plain loop
      // over text with no trigger in it runs a hundred times faster.
      int candidate = triggers.isPresent() ? triggers.get().candidateStart(text, pos) : pos;
      if (candidate < 0 || !m.find(candidate)) {
        return;
      }
      int start = m.start();
      int end = m.end();
      if (end == start) {
        pos = start + 1; // no pattern matches empty text; guard progress anyway
        continue;
      }
      int resume = Shapes.expand(which(m), text, start, end, visitor);
      if (resume < 0) {
        return;
      }
      pos = Math.max(resume, start + 1);
    }
  }

  private RedactionPattern which(Matcher m) {
    for (int g = 1; g <= groups.size(); g++) {
      if (m.start(g) >= 0) {
        return groups.get(g - 1);
      }
    }
    throw new IllegalStateException("a match with no pattern group");
  }

  /** Receives matches; returns false to stop the scan. */
  @FunctionalInterface
  interface MatchVisitor {
    boolean visit(Match match);
  }
}
