package dev.parapet.runtime.provider;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the gateway reads from one OpenAI {@code chat.completion.chunk}: enough for the drift
 * lock, settlement and the stream guard, and nothing else. Read once per chunk by a streaming
 * parse ({@link OpenAiChunkReader}), or stated directly by whoever built the chunk.
 *
 * @param model {@code model}, when a string
 * @param fingerprint {@code system_fingerprint}, when a string
 * @param usage {@code usage} with at least one of its counts
 * @param choiceCount elements in {@code choices} (0 when absent or null)
 * @param choices the object elements of {@code choices}, in order
 * @param unknownText every string the chunk carries beside {@code choices} in fields Parapet does
 *     not know (a server's debugging or provider-specific field), in order, one per line; the
 *     chunk's own identifiers ({@link AnswerFields#TOP}) aside. It reaches the caller,
 *     so the stream guard scans it under {@code scan_output}, and never counts it. Empty when none
 */
public record ChunkSummary(
    Optional<String> model, Optional<String> fingerprint, Optional<Usage> usage, int choiceCount,
    List<Choice> choices, String unknownText) {
  /** The summary of {@code [DONE]}, which is no chunk. */
  public static final ChunkSummary NONE =
      new ChunkSummary(Optional.empty(), Optional.empty(), Optional.empty(), 0, List.of());

  public ChunkSummary {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(usage, "usage");
    Objects.requireNonNull(unknownText, "unknownText");
    choices = List.copyOf(choices);
  }

  /** A chunk with no text beside its choices. */
  public ChunkSummary(Optional<String> model, Optional<String> fingerprint, Optional<Usage> usage, int choiceCount,
      List<Choice> choices) {
    this(model, fingerprint, usage, choiceCount, choices, "");
  }

  /**
   * One choice's delta.
   *
   * @param index {@code index} (0 when absent or not an integer)
   * @param content {@code delta.content}, when a string
   * @param finished whether {@code finish_reason} is present and not null
   * @param otherText the delta's billed output that is not content, in order: the text of {@code
   *     content} sent as parts, not a string (Mistral's Magistral: {@code [{"type":"text","text":…}]};
   *     every string but a {@code type} field's, joined with nothing between), the reasoning an
   *     OpenAI-compatible server streams ({@code reasoning_content}, {@code reasoning}), its {@code
   *     refusal} (each a string, or parts read so) and every {@code
   *     tool_calls[].function.name} then {@code .arguments} and {@code tool_calls[].custom.name}
   *     then {@code .input} (a custom tool's free text; or legacy {@code function_call.name} then
   *     {@code .arguments}) string, concatenated; empty when none. The stream guard counts
   *     and scans it like content: a secret in a tool call's arguments or a local model's reasoning
   *     reaches the caller as surely as one in the text, and a call's name is output the provider
   *     bills.
   * @param hiddenText billed output the caller never receives (an anthropic route's thinking): the
   *     stream guard counts it toward {@code max_tokens_out} and the settlement, and does not scan
   *     it; empty when none
   * @param unknownText every string the choice carries in fields Parapet does not know, in order,
   *     one per line: first the delta's (say, a server's {@code reasoning_details}; {@code role}
   *     aside; and every string under {@code tool_calls} or {@code function_call} but their billed
   *     text and a call's {@code id}, {@code type} and {@code index}), then the
   *     choice's own beside {@code delta} (say, {@code logprobs} a server sends
   *     unasked). It reaches the caller, so the guard scans it under {@code scan_output}; it may not
   *     be billed, so it is never counted. Empty when none
   * @param arguments the pieces of {@code otherText} that are a tool call's {@code arguments} (a
   *     custom tool's {@code input}, a legacy {@code function_call}'s arguments), in order, each
   *     with its call: the stream guard also scans them as their reader sees them, decoded (their
   *     JSON escapes can hide a match: {@code dev.parapet.core.redact.ArgumentsDecoder})
   */
  public record Choice(int index, Optional<String> content, boolean finished, String otherText, String hiddenText,
      String unknownText, List<Arguments> arguments) {
    public Choice {
      Objects.requireNonNull(content, "content");
      Objects.requireNonNull(otherText, "otherText");
      Objects.requireNonNull(hiddenText, "hiddenText");
      Objects.requireNonNull(unknownText, "unknownText");
      arguments = List.copyOf(arguments);
    }

    /** A choice whose other text holds no tool call's arguments. */
    public Choice(int index, Optional<String> content, boolean finished, String otherText, String hiddenText,
        String unknownText) {
      this(index, content, finished, otherText, hiddenText, unknownText, List.of());
    }

    /** A choice with no text in unknown fields. */
    public Choice(int index, Optional<String> content, boolean finished, String otherText, String hiddenText) {
      this(index, content, finished, otherText, hiddenText, "");
    }

    /** A choice whose billed output is all sent to the caller. */
    public Choice(int index, Optional<String> content, boolean finished, String otherText) {
      this(index, content, finished, otherText, "", "");
    }

    /** A choice whose billed output is its content only. */
    public Choice(int index, Optional<String> content, boolean finished) {
      this(index, content, finished, "", "", "");
    }
  }

  /**
   * A piece of one tool call's {@code arguments} (or a custom tool's {@code input}) in a delta.
   *
   * @param call the call's {@code index} in {@code tool_calls} (0 when absent or not an int), or
   *     {@link #FUNCTION_CALL} for a legacy {@code function_call}
   * @param text the piece, as written
   */
  public record Arguments(int call, String text) {
    public static final int FUNCTION_CALL = -1;

    public Arguments {
      Objects.requireNonNull(text, "text");
    }
  }
}
