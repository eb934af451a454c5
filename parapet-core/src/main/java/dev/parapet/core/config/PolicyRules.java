package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Mark;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.Node;

/** {@code routes[].policy}: token limits, the daily budget, drift lock and redaction. */
final class PolicyRules {
  static final List<String> KEYS =
      List.of("max_tokens_in", "max_tokens_out", "budget_daily_usd", "drift_strict", "redaction");
  static final List<String> REDACTION_KEYS = List.of("mode", "patterns", "scan_output");
  static final int MAX_TOKENS_IN = 2_000_000;
  static final int MAX_TOKENS_OUT = 1_000_000;
  static final String MODE_HINT = "one of: warn, block, off";
  static final String PATTERNS_HINT =
      "a list of: " + String.join(", ", Arrays.stream(RedactionPattern.values()).map(Enum::name).toList());

  record Result(Optional<Policy> policy, boolean driftStrict) {}

  private PolicyRules() {}

  static Result read(Section s) {
    int errorsBefore = s.problems().failureCount();
    s.allowOnly(KEYS);
    Optional<Integer> in = s.integer("max_tokens_in", true, 1, MAX_TOKENS_IN);
    Optional<Integer> out = s.integer("max_tokens_out", true, 1, MAX_TOKENS_OUT);
    Optional<BigDecimal> budget = s.decimal("budget_daily_usd", true);
    if (budget.isPresent() && budget.get().signum() == 0) {
      s.problems()
          .warning(Kind.VALUE, s.path("budget_daily_usd"), "0: the route can never spend; every call is refused", s.mark("budget_daily_usd"));
    }
    boolean driftStrict = s.bool("drift_strict").orElse(false);
    Optional<RedactionPolicy> redaction = redaction(s);
    Optional<Policy> policy =
        s.build(
            errorsBefore,
            () -> new Policy(in.orElseThrow(), out.orElseThrow(), budget.orElseThrow(), driftStrict, redaction.orElseThrow()));
    return new Result(policy, driftStrict);
  }

  private static Optional<RedactionPolicy> redaction(Section policy) {
    if (!policy.has("redaction")) {
      policy.problems()
          .warning(
              Kind.MISSING,
              policy.path("redaction"),
              "redaction is off: prompts go upstream unscanned (set redaction.mode to warn or block, or off to say so)",
              policy.mark("redaction"));
      return Optional.of(RedactionPolicy.OFF);
    }
    Section s = policy.section("redaction", "a mapping with mode and patterns");
    s.allowOnly(REDACTION_KEYS);
    Optional<RedactionMode> mode = s.string("mode", true, MODE_HINT).flatMap(text -> mode(s, text));
    List<RedactionPattern> patterns = new ArrayList<>();
    boolean patternsOk = readPatterns(s, patterns);
    boolean scanOutput = s.bool("scan_output").orElse(false);
    if (mode.isPresent() && mode.get() != RedactionMode.OFF && patternsOk && patterns.isEmpty()) {
      if (s.has("patterns")) {
        s.problems()
            .error(
                Kind.VALUE,
                s.path("patterns"),
                "empty with mode " + mode.get().yamlName() + ": nothing would be scanned (expected: " + PATTERNS_HINT + ")",
                s.mark("patterns"),
                PATTERNS_HINT);
      } else {
        s.missing("patterns", PATTERNS_HINT, "required with mode " + mode.get().yamlName());
      }
    }
    return mode.map(m -> new RedactionPolicy(m, patterns, scanOutput));
  }

  private static Optional<RedactionMode> mode(Section s, String text) {
    Optional<RedactionMode> mode = RedactionMode.fromYaml(text);
    if (mode.isEmpty()) {
      List<String> known = Arrays.stream(RedactionMode.values()).map(RedactionMode::yamlName).toList();
      s.problems()
          .error(
              Kind.VALUE,
              s.path("mode"),
              Quoting.quote(text) + Suggestions.didYouMean(text, known) + " (expected: " + MODE_HINT + ")",
              s.mark("mode"),
              MODE_HINT);
    }
    return mode;
  }

  /** Adds the known patterns; false if any item was wrong (already reported). */
  private static boolean readPatterns(Section s, List<RedactionPattern> patterns) {
    boolean ok = !s.holdsNonList("patterns");
    List<Node> items = s.list("patterns", PATTERNS_HINT);
    List<String> known = Arrays.stream(RedactionPattern.values()).map(Enum::name).toList();
    for (int i = 0; i < items.size(); i++) {
      String path = SpecPath.item(s.path("patterns"), i);
      Mark at = Mark.of(items.get(i).getStartMark());
      Optional<String> name = Scalars.string(items.get(i), path, at, s.problems(), PATTERNS_HINT);
      if (name.isEmpty()) {
        ok = false;
        continue;
      }
      Optional<RedactionPattern> pattern = RedactionPattern.fromYaml(name.get());
      if (pattern.isEmpty()) {
        s.problems()
            .error(
                Kind.VALUE,
                path,
                "unknown pattern " + Quoting.quote(name.get()) + Suggestions.didYouMean(name.get(), known)
                    + " (expected: one of " + String.join(", ", known) + ")",
                at,
                PATTERNS_HINT);
        ok = false;
      } else {
        patterns.add(pattern.get());
      }
    }
    return ok;
  }
}
