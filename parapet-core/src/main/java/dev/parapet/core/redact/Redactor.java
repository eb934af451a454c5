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
import java.util.concurrent.atomic.AtomicReferenceArray;

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
 * <p><b>Prefilter and closed forms.</b> re2j has no DFA: its NFA scans a few MB/s, slower than a
 * prompt should cost. Every pattern's match contains a short literal trigger ({@code @},
 * {@code eyJ}, four digits…), so {@link Triggers} first finds, with a plain loop, where the
 * leftmost match could start; text without a trigger is never searched further. At that trigger
 * the match is decided without re2j: each pattern's shape is forced (its runs are maximal), so
 * {@link Shapes} has a closed form of each regex — the e-mail's domain, the JWT's three parts, a
 * bearer token, each API key prefix — and {@link NumberRuns} one of the IPV4/CREDIT_CARD pair
 * ({@link #literalTrigger}, {@link #numberRun}). Only a real private key header hands the search
 * to the regex, whose body rules are its own. The regexes stay the specification: the matches are
 * exactly theirs ({@code TriggersTest} compares the whole scan against the regex alone on random
 * text built from the patterns' edges, {@code NumberRunsTest} the number search).
 *
 * <p>Instances are immutable, thread-safe and cached per pattern set.
 */
public final class Redactor {
  /**
   * One redactor per set of patterns, at the set's bit mask (bit {@code i} is the pattern of ordinal
   * {@code i}; seven patterns, 128 entries): finding it costs no allocation, so callers on the
   * request path need not keep their own.
   */
  private static final AtomicReferenceArray<Redactor> CACHE =
      new AtomicReferenceArray<>(1 << RedactionPattern.values().length);

  /** The patterns whose matches are runs of {@code [0-9. -]} (see {@link #numberRun}). */
  private static final Set<RedactionPattern> NUMBERS = EnumSet.of(RedactionPattern.IPV4, RedactionPattern.CREDIT_CARD);

  private final List<RedactionPattern> groups; // group i+1 is groups.get(i)
  private final Optional<Pattern> combined;
  private final Optional<Triggers> triggers;
  private final boolean email;
  private final List<RedactionPattern> numberGroups; // only with the prefilter

  private Redactor(Set<RedactionPattern> enabled, boolean prefilter) {
    this.groups = List.copyOf(inPriority(enabled));
    this.combined = alternation(groups);
    this.triggers = prefilter ? Optional.of(new Triggers(enabled)) : Optional.empty();
    this.email = enabled.contains(RedactionPattern.EMAIL);
    this.numberGroups = prefilter ? groups.stream().filter(NUMBERS::contains).toList() : List.of();
  }

  private static List<RedactionPattern> inPriority(Set<RedactionPattern> enabled) {
    return Shapes.PRIORITY.stream().filter(enabled::contains).toList();
  }

  /** One capturing group per pattern, in the given order; empty for no patterns. */
  private static Optional<Pattern> alternation(List<RedactionPattern> patterns) {
    StringBuilder alternation = new StringBuilder();
    for (RedactionPattern p : patterns) {
      alternation.append(alternation.length() == 0 ? "" : "|").append('(').append(Shapes.regex(p)).append(')');
    }
    return patterns.isEmpty() ? Optional.empty() : Optional.of(Pattern.compile(alternation.toString()));
  }

  /** The redactor for these patterns (order and repeats do not matter). */
  public static Redactor forPatterns(Collection<RedactionPattern> patterns) {
    Objects.requireNonNull(patterns, "patterns");
    int mask = 0;
    for (RedactionPattern p : patterns) {
      mask |= 1 << p.ordinal();
    }
    Redactor cached = CACHE.get(mask);
    if (cached != null) {
      return cached;
    }
    Redactor made = new Redactor(asSet(patterns), true);
    return CACHE.compareAndSet(mask, null, made) ? made : CACHE.get(mask); // a racing thread's, built the same
  }

  /** The same patterns searched by the regex alone, with no {@link Triggers} prefilter (tests). */
  static Redactor withoutPrefilter(Collection<RedactionPattern> patterns) {
    return new Redactor(asSet(patterns), false);
  }

  private static Set<RedactionPattern> asSet(Collection<RedactionPattern> patterns) {
    return patterns.isEmpty() ? EnumSet.noneOf(RedactionPattern.class) : EnumSet.copyOf(patterns);
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
    // Made at the first match: most texts have none and are returned as they are.
    StringBuilder[] out = {null};
    int[] copied = {0};
    forEachMatch(text, 0, m -> {
      counts.merge(m.pattern(), 1, Integer::sum);
      if (out[0] == null) {
        out[0] = new StringBuilder(text.length() + 32);
      }
      out[0].append(text, copied[0], m.start()).append("[REDACTED:").append(m.pattern().name()).append(']');
      copied[0] = m.end();
      return true;
    });
    if (out[0] == null) {
      return new Redacted(text, Map.of());
    }
    out[0].append(text, copied[0], text.length());
    return new Redacted(out[0].toString(), counts);
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
    Matcher m = null; // made when first needed: most texts have no trigger at all
    Runs runs = null;
    int pos = from;
    while (pos <= text.length()) {
      // Skip to where a match can first start (Triggers): re2j scans a few MB/s, a plain loop
      // over text with no trigger in it runs a hundred times faster.
      int candidate = pos;
      if (triggers.isPresent()) {
        long c = triggers.get().candidate(text, pos);
        if (c < 0) {
          return;
        }
        candidate = Triggers.start(c);
        int trigger = Triggers.trigger(c);
        if (runs == null) {
          runs = new Runs();
        }
        char tc = text.charAt(trigger);
        int next;
        if (Shapes.isDigit(tc)) {
          // An e-mail through the digits starts at the candidate, the leftmost start there is, and
          // outranks the number patterns there; otherwise it is a number's (numberRun).
          int emailEnd = email ? runs.emailEnd(text, candidate) : -1;
          next = emailEnd >= 0
              ? visit(RedactionPattern.EMAIL, text, candidate, emailEnd, visitor)
              : numberRun(text, candidate, trigger, runs, visitor);
        } else {
          next = literalTrigger(text, candidate, trigger, tc, runs, visitor);
        }
        if (next != UNDECIDED) {
          if (next < 0) {
            return;
          }
          pos = next;
          continue;
        }
        // A real private key header: its body rules are the regex's.
      }
      if (m == null) {
        m = combined.get().matcher(text);
      }
      if (!m.find(candidate)) {
        return;
      }
      int next = visit(which(m, groups), text, m.start(), m.end(), visitor);
      if (next < 0) {
        return;
      }
      pos = next;
    }
  }

  /**
   * The leftmost trigger at or after the search position is a number's ({@code trigger}: four
   * digits, or digit-dot-digit) and no e-mail address can start in {@code [candidate, trigger]}
   * (the caller checked that the local-part run from {@code candidate} does not reach an
   * {@code @}). No other pattern can start there either: their matches start at their own
   * literal triggers, all after {@code trigger}. So the leftmost match, if it starts by
   * {@code trigger}, is an IPV4 or CREDIT_CARD match inside the run of {@code [0-9. -]} around
   * {@code trigger}, and {@link NumberRuns} finds it in one pass over that run: 1 KB of prose
   * dense with numbers in 6 µs, where the two patterns' re2j alternation over the run took 94 µs
   * and the whole alternation over the rest of the text several times that; a 1 MB run of digits
   * in 2 ms instead of 260.
   *
   * <p>If no such match starts by {@code trigger}, the search goes on after the run of digits
   * that holds {@code trigger}: inside it no number match can start ({@code \b} needs a non-word
   * character before the first digit), nor can any other pattern's (no literal trigger is a
   * digit, and no e-mail starts in this local-part run). Going on from {@code trigger + 1}
   * instead would re-search a long digit run once per digit. Returns where to search next, or -1
   * to stop.
   */
  private int numberRun(CharSequence text, int candidate, int trigger, Runs runs, MatchVisitor visitor) {
    int end = Math.min(text.length(), runs.numberRunEnd(text, trigger) + 1); // one past: \b needs it
    NumberRuns.Found n = NumberRuns.find(text, candidate, end, numberGroups);
    if (n == null || n.start() > trigger) {
      int next = trigger + 1;
      while (next < text.length() && Shapes.isDigit(text.charAt(next))) {
        next++;
      }
      return next;
    }
    return visit(n.pattern(), text, n.start(), n.end(), visitor);
  }

  /** {@link #literalTrigger} could not decide: the regex must. */
  private static final int UNDECIDED = Integer.MIN_VALUE;

  /**
   * The leftmost trigger at or after the search position is a literal one (every pattern's but
   * the numbers'): decides, without re2j, which match starts in {@code [candidate, trigger]}, if
   * any. re2j reads a few MB/s; text made of triggers that lead nowhere ({@code a@a@…},
   * {@code eyJ.eyJ.…}, {@code Bearer Bearer …}, PEM headers) kept it reading a whole 1 MB stretch,
   * and every match, however long ({@code sk-sk-…} is one key), cost a pass over it. Each of
   * these shapes has a closed form in {@link Shapes}: its runs are maximal and its match forced.
   *
   * <p>Why only these can start there: every other pattern's match starts at its own trigger, or
   * (IPV4, CREDIT_CARD) holds one, and no trigger starts before {@code trigger}. An e-mail can
   * start only at {@code candidate} (every start in the local-part run before the trigger shares
   * its {@code @}, and leftmost wins), and only if that run ends at an {@code @} with a domain after
   * it. The trigger's own pattern can start only at {@code trigger}, and where an e-mail starts
   * there too it wins by priority. If nothing starts in {@code [candidate, trigger]}, the search
   * goes on at {@code trigger + 1}. A real private key header is left to the regex: its body is
   * the regex's job, and keys are rare.
   *
   * @return where to search next, -1 to stop, or {@link #UNDECIDED}
   */
  private int literalTrigger(CharSequence text, int candidate, int trigger, char tc, Runs runs, MatchVisitor visitor) {
    int emailEnd = email ? runs.emailEnd(text, candidate) : -1;
    if (emailEnd >= 0 && candidate < trigger) {
      return visit(RedactionPattern.EMAIL, text, candidate, emailEnd, visitor);
    }
    RedactionPattern own = null;
    int end = -1;
    switch (tc) {
      case 'e' -> {
        own = RedactionPattern.JWT;
        end = Shapes.jwtEnd(text, trigger);
      }
      case 'b', 'B' -> {
        own = RedactionPattern.BEARER_TOKEN;
        end = Shapes.bearerEnd(text, trigger);
      }
      case 's', 'A', 'g', 'x' -> {
        own = RedactionPattern.API_KEY;
        end = Shapes.apiKeyEnd(text, trigger);
      }
      case '-' -> {
        if (Shapes.pemHeaderEnd(text, trigger) >= 0) {
          return UNDECIDED;
        }
      }
      default -> {
        // '@': an e-mail's, decided above and below
      }
    }
    if (end >= 0) {
      return visit(own, text, trigger, end, visitor);
    }
    if (emailEnd >= 0) {
      return visit(RedactionPattern.EMAIL, text, candidate, emailEnd, visitor);
    }
    return trigger + 1;
  }

  /** Hands a regex match to its pattern's checks; where to search next, or -1 to stop. */
  private static int visit(RedactionPattern p, CharSequence text, int start, int end, MatchVisitor visitor) {
    if (end == start) {
      return start + 1; // no pattern matches empty text; guard progress anyway
    }
    int resume = Shapes.expand(p, text, start, end, visitor);
    return resume < 0 ? -1 : Math.max(resume, start + 1);
  }

  /**
   * The ends of the last runs measured, so a long run is walked once per scan, not once per
   * trigger in it (the scan stays linear).
   */
  private static final class Runs {
    private int localFrom = -1;
    private int localEnd = -1;
    private int numberFrom = -1;
    private int numberEnd = -1;
    private int domainAt = -1; // the @ whose domain end was measured last
    private int domainEnd = -1;

    /**
     * The end of the e-mail starting at {@code i}, or -1 if none does: the local-part run from
     * {@code i} must be non-empty and end at an {@code @} with a domain after it.
     */
    int emailEnd(CharSequence text, int i) {
      if (!localRunEndsAtSign(text, i) || localEnd == i) {
        return -1;
      }
      if (domainAt != localEnd) {
        domainAt = localEnd;
        domainEnd = Shapes.emailDomainEnd(text, localEnd);
      }
      return domainEnd;
    }

    /** Whether the run of e-mail local-part characters from {@code i} ends at an {@code @}. */
    private boolean localRunEndsAtSign(CharSequence text, int i) {
      if (i < localFrom || i >= localEnd) {
        localFrom = i;
        localEnd = i;
        while (localEnd < text.length() && Triggers.localPart(text.charAt(localEnd))) {
          localEnd++;
        }
      }
      return localEnd < text.length() && text.charAt(localEnd) == '@';
    }

    /** The end of the run of {@code [0-9. -]} from {@code i}. */
    int numberRunEnd(CharSequence text, int i) {
      if (i < numberFrom || i >= numberEnd) {
        numberFrom = i;
        numberEnd = i;
        while (numberEnd < text.length() && numberChar(text.charAt(numberEnd))) {
          numberEnd++;
        }
      }
      return numberEnd;
    }
  }

  private static boolean numberChar(char c) {
    return Shapes.isDigit(c) || c == '.' || c == ' ' || c == '-';
  }

  private static RedactionPattern which(Matcher m, List<RedactionPattern> groups) {
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
