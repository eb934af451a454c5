package dev.parapet.runtime.provider;

import java.util.Set;

/**
 * The fields of an OpenAI answer (a whole {@code chat.completion} or a {@code
 * chat.completion.chunk}) that Parapet reads or knows to carry no answer text. Under {@code
 * scan_output} every string of every other field is scanned, at each level: a server may put text
 * anywhere, and the caller receives all of it.
 */
public final class AnswerFields {
  private AnswerFields() {}

  /**
   * Beside {@code choices}: what the gateway reads, and OpenAI's identifiers and padding ({@code
   * obfuscation}: random characters that would trip a pattern).
   */
  public static final Set<String> TOP = Set.of("id", "object", "created", "model", "system_fingerprint",
      "service_tier", "usage", "choices", "error", "obfuscation");

  /**
   * A whole answer's choice's own: its position, its message, and why it ended. A {@code delta}
   * there is no field the guard reads, so its strings are scanned as any unknown field's.
   */
  public static final Set<String> CHOICE = Set.of("index", "message", "finish_reason");

  /** A chunk's choice's own: its position, its delta, and why it ended ({@code message}: unknown there). */
  public static final Set<String> CHUNK_CHOICE = Set.of("index", "delta", "finish_reason");

  /**
   * A message's or delta's fields the guard reads as output text, and {@code role}. In {@code
   * tool_calls} and {@code function_call} every string but the billed text ({@code
   * function.name} and {@code .arguments}, {@code custom.name} and {@code .input}) and a call's
   * {@code id}, {@code type} and {@code index} is scanned still.
   */
  public static final Set<String> MESSAGE = Set.of(
      "role", "content", "reasoning_content", "reasoning", "refusal", "tool_calls", "function_call");
}
