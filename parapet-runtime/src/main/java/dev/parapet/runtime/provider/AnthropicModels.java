package dev.parapet.runtime.provider;

import java.util.List;
import java.util.Optional;

/**
 * What an anthropic route's pinned model can do, by its Claude API id: the model is pinned when
 * the route is built, so each answer here holds for every call of the route.
 */
public final class AnthropicModels {
  /**
   * The models on which Anthropic's structured outputs are generally available on the Claude API
   * (https://platform.claude.com/docs/en/build-with-claude/structured-outputs: strict tool use and
   * JSON outputs, without a beta header). Claude Opus 4.1 had them only in the beta, and Claude 4,
   * 3.7 and 3.x never. Claude Fable 5.1 and Mythos 5.1 have them too: their migration guide and
   * the Claude API skill point callers who forced a tool for JSON to {@code output_config.format}
   * and to {@code strict: true} tools. A model not named here is refused {@code strict: true}
   * until Anthropic's documentation names it: a guarantee is never assumed.
   */
  private static final List<String> STRUCTURED_OUTPUTS = List.of(
      "claude-opus-4-5", "claude-opus-4-6", "claude-opus-4-7", "claude-opus-4-8",
      "claude-sonnet-4-5", "claude-sonnet-4-6", "claude-sonnet-5", "claude-haiku-4-5",
      "claude-fable-5", "claude-fable-5-1", "claude-mythos-5", "claude-mythos-5-1", "claude-mythos-preview");

  /** The same, as a caller reads it in a refusal. */
  static final String STRUCTURED_OUTPUTS_NAMES = "Claude Opus 4.5 to 4.8, Sonnet 4.5, 4.6 and 5, Haiku 4.5, "
      + "Fable 5 and 5.1, Mythos 5 and 5.1 and Mythos Preview";

  /**
   * The models that refuse forced tool use: {@code tool_choice} {@code any} or {@code tool} is a
   * 400 ({@code tool_choice: type "tool" and "any" are not supported for this model.}), only
   * {@code auto} and {@code none} are accepted
   * (https://platform.claude.com/docs/en/models/fable-5-1/whats-new-fable-5-1#forced-tool-use-is-not-supported
   * and the Fable 5.1 migration guide's baseline settings); so do Claude Opus 5.5 and Sonnet 5.5
   * (https://platform.claude.com/docs/en/models/opus-5-5/whats-new-opus-5-5#forced-tool-use-is-not-supported,
   * the Sonnet 5.5 overview's breaking changes). A JSON answer goes there as Anthropic's structured
   * outputs ({@code output_config.format}) instead of a forced tool.
   */
  private static final List<String> FORCED_TOOLS_REFUSED =
      List.of("claude-fable-5-1", "claude-mythos-5-1", "claude-opus-5-5", "claude-sonnet-5-5");

  /**
   * The models that refuse extended thinking with a budget ({@code thinking: {type: "enabled",
   * budget_tokens: N}} is a 400) and think only adaptively, steered by {@code output_config.effort}
   * (https://platform.claude.com/docs/en/build-with-claude/thinking, the troubleshooting page's
   * table of thinking types by model; the Claude 4.7 and later migration guides). Claude Opus 4.6
   * and Sonnet 4.6 still accept a budget (deprecated), and older models have only that. Claude
   * Opus, Sonnet and Haiku 5.5 think only adaptively too (each one's overview lists its thinking
   * as adaptive; Opus 5.5's What's new page quotes the 400 for a budget). Claude Mythos Preview is
   * left out: Anthropic's table lists it with both modes, Amazon Bedrock's page with adaptive only,
   * so it keeps the budget until the two agree.
   */
  private static final List<String> ADAPTIVE_THINKING_ONLY = List.of(
      "claude-opus-4-7", "claude-opus-4-8", "claude-opus-5", "claude-sonnet-5",
      "claude-fable-5", "claude-fable-5-1", "claude-mythos-5", "claude-mythos-5-1",
      "claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5");

  /**
   * The models that think when a call does not ask them to (no {@code thinking} field): Claude
   * Opus 5 and Sonnet 5 and the 5.5 models (Opus, Sonnet, Haiku) by default, Fable and Mythos 5
   * and 5.1, Mythos Preview and Opus 5.5 always (the "Default" column of the thinking
   * troubleshooting table; each 5.5 model's overview lists its thinking as adaptive, on by
   * default, and https://platform.claude.com/docs/en/models/opus-5-5/whats-new-opus-5-5 says Opus
   * 5.5's cannot be disabled). Kept so that they are {@link #known}; {@link #thinksUnasked} reads
   * the other list.
   */
  private static final List<String> THINKS_UNASKED = List.of(
      "claude-opus-5", "claude-sonnet-5", "claude-fable-5", "claude-fable-5-1", "claude-mythos-5",
      "claude-mythos-5-1", "claude-mythos-preview", "claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5");

  /**
   * The models that think unasked and accept {@code thinking: {type: "disabled"}} at the effort a
   * call without {@code output_config.effort} runs at: Claude Opus 5 accepts it at effort high or
   * below, its default high (https://platform.claude.com/docs/en/models/opus-5/migration-guide,
   * the Opus 5.5 What's new page); Haiku 5.5 at low, medium and high, its default medium (Prompting
   * Claude Haiku 5.5, "Use effort to control thinking"); Sonnet 5 (the Sonnet 5.5 What's new page:
   * {@code between_tools} on a call without tools answers "the same as {@code disabled} on Claude
   * Sonnet 5"; its overview names no effort limit). OpenAI's {@code reasoning_effort: "none"} is sent
   * there as that.
   */
  private static final List<String> THINKING_CAN_BE_DISABLED = List.of("claude-opus-5", "claude-sonnet-5",
      "claude-haiku-5-5");

  /**
   * The models that think unasked, answer {@code thinking: {type: "disabled"}} with a 400, and take
   * {@code thinking: {type: "between_tools"}} as their lowest setting instead: Claude Sonnet 5.5
   * (https://platform.claude.com/docs/en/models/sonnet-5-5/whats-new-sonnet-5-5, "Turn off up-front
   * thinking with between_tools": no thinking before the answer, only short progress notes between
   * tool calls; accepted at effort low, medium and high, its default high). OpenAI's {@code
   * reasoning_effort: "none"} is sent there as that.
   */
  private static final List<String> THINKING_BETWEEN_TOOLS_ONLY = List.of("claude-sonnet-5-5");

  /**
   * The models whose thinking cannot be turned off: {@code thinking: {type: "disabled"}} is a 400
   * (Opus 5.5: its What's new page, "Thinking can't be disabled"; Fable and Mythos 5: their
   * migration guide's baseline settings; Fable and Mythos 5.1: theirs). {@code reasoning_effort:
   * "none"} is refused there, before a hold: the call would think, and bill it, anyway.
   */
  private static final List<String> THINKING_ALWAYS_ON = List.of(
      "claude-opus-5-5", "claude-fable-5", "claude-fable-5-1", "claude-mythos-5", "claude-mythos-5-1");

  /**
   * The models known to think only when a call asks them to: every other Claude model Parapet
   * knows (its built-in prices, and the lists above), Claude 3 to Opus 4.8 (Opus 4.8 runs "without
   * thinking" when a request has no thinking field: the Opus 5 migration guide). The list is the
   * exception, not the rule: a model named nowhere here (one Anthropic released after this list,
   * or a typo) is taken to think unasked, so that a stream cut before its final usage is charged
   * its worst case rather than letting its thinking go unbilled; boot warns of each such route.
   * Ids without an alias of their own ({@code claude-3-haiku}) are matched, as everywhere here, by
   * their dated snapshots.
   */
  private static final List<String> THINKS_ONLY_WHEN_ASKED = List.of(
      "claude-3-haiku", "claude-3-opus", "claude-3-5-sonnet", "claude-3-5-haiku", "claude-3-7-sonnet",
      "claude-sonnet-4", "claude-sonnet-4-0", "claude-opus-4", "claude-opus-4-0", "claude-opus-4-1",
      "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5", "claude-opus-4-6", "claude-sonnet-4-6",
      "claude-opus-4-7", "claude-opus-4-8");

  private AnthropicModels() {}

  /**
   * Whether {@code model} may think, and bill its thinking as output, on a call that did not ask
   * it to: every model but those known not to ({@link #THINKS_ONLY_WHEN_ASKED}, their ids formed
   * as for {@link #structuredOutputs}). Such a call is settled as one that asked (see {@code
   * BudgetHandler}). An unknown model fails closed: the lists lag Anthropic's releases, and a model
   * that thinks unasked but is taken not to would let a caller who cuts every stream before its
   * usage go unbilled for all of its thinking.
   */
  public static boolean thinksUnasked(String model) {
    return !named(THINKS_ONLY_WHEN_ASKED, model);
  }

  /** Whether {@code model} takes {@code thinking: {type: "disabled"}} ({@link #THINKING_CAN_BE_DISABLED}). */
  static boolean thinkingCanBeDisabled(String model) {
    return named(THINKING_CAN_BE_DISABLED, model);
  }

  /** Whether {@code model} turns up-front thinking off with {@code between_tools} ({@link #THINKING_BETWEEN_TOOLS_ONLY}). */
  static boolean thinkingOffIsBetweenTools(String model) {
    return named(THINKING_BETWEEN_TOOLS_ONLY, model);
  }

  /** Whether {@code model}'s thinking cannot be turned off ({@link #THINKING_ALWAYS_ON}). */
  static boolean thinkingAlwaysOn(String model) {
    return named(THINKING_ALWAYS_ON, model);
  }

  /**
   * Whether Parapet knows {@code model}: one of {@link #THINKS_UNASKED} or {@link
   * #THINKS_ONLY_WHEN_ASKED}, its ids formed as for {@link #structuredOutputs}.
   */
  public static boolean known(String model) {
    return named(THINKS_UNASKED, model) || named(THINKS_ONLY_WHEN_ASKED, model);
  }

  /**
   * The boot warning for an anthropic route on {@code model}, which Parapet does not know (empty
   * when it does): what that means for the route's bill.
   */
  public static Optional<String> unknownModelWarning(String route, String model) {
    if (known(model)) {
      return Optional.empty();
    }
    return Optional.of("route=" + route + " model=" + model + ": not a Claude model Parapet knows; it is "
        + "taken to think unasked, so a stream cut before its final usage is charged its worst case (max_tokens at "
        + "the output price), not what was seen; other model-specific handling (structured outputs, adaptive "
        + "thinking, forced tools) falls back to that of older models");
  }

  /**
   * Whether {@code model} guarantees a schema ({@code strict: true}): one of {@link
   * #STRUCTURED_OUTPUTS}, as its alias, a dated snapshot ({@code claude-sonnet-4-5-20250929}) or a
   * {@code -latest} alias. A prefix is not enough: {@code claude-sonnet-5-5} is another model.
   */
  static boolean structuredOutputs(String model) {
    return named(STRUCTURED_OUTPUTS, model);
  }

  /**
   * Whether {@code model} refuses a forced tool (one of {@link #FORCED_TOOLS_REFUSED}, its ids
   * formed as for {@link #structuredOutputs}).
   */
  static boolean refusesForcedTools(String model) {
    return named(FORCED_TOOLS_REFUSED, model);
  }

  /**
   * Whether {@code model} thinks only adaptively (one of {@link #ADAPTIVE_THINKING_ONLY}, its
   * ids formed as for {@link #structuredOutputs}).
   */
  static boolean adaptiveThinkingOnly(String model) {
    return named(ADAPTIVE_THINKING_ONLY, model);
  }

  private static boolean named(List<String> ids, String model) {
    for (String id : ids) {
      if (model.startsWith(id)) {
        String rest = model.substring(id.length());
        if (rest.isEmpty() || rest.equals("-latest") || isDate(rest)) {
          return true;
        }
      }
    }
    return false;
  }

  /** {@code -YYYYMMDD}. */
  private static boolean isDate(String rest) {
    if (rest.length() != 9 || rest.charAt(0) != '-') {
      return false;
    }
    for (int i = 1; i < rest.length(); i++) {
      if (rest.charAt(i) < '0' || rest.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }
}
