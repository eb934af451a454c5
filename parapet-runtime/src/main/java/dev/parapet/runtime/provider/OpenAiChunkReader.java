package dev.parapet.runtime.provider;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a {@link ChunkSummary} out of one OpenAI {@code chat.completion.chunk} payload in a single
 * streaming pass: no tree is built, fields nobody reads are skipped (still checked for syntax).
 * Every chunk of every stream goes through here, so this is the hot path of streaming.
 *
 * <p>Same verdicts as reading the chunk into a tree: duplicate keys keep the last value (but
 * inside a field nobody reads or a tool call, where the strings of every value are scanned: more
 * than a tree sees, so fail closed); the
 * payload must be a JSON object; a non-null {@code error} ends the stream; {@code usage} must be
 * an object whose counts are non-negative integers; {@code choices} must be an array. Messages
 * name the field, never the bytes (they could echo a key back).
 */
final class OpenAiChunkReader {
  private static final JsonFactory FACTORY = Json.MAPPER.getFactory();

  private OpenAiChunkReader() {}

  /** Thrown after the whole payload parsed, in this order, as reading a tree would report them. */
  private static final class Problems {
    /** The provider's {@code error} value, when not null. */
    JsonNode error;
    String usage;
    String choices;
  }

  static ChunkSummary read(String json, String what) throws ProviderProtocolException {
    Problems problems = new Problems();
    ChunkSummary summary;
    try (JsonParser p = FACTORY.createParser(json)) {
      JsonToken first = p.nextToken();
      if (first != JsonToken.START_OBJECT) {
        if (first != null) {
          p.skipChildren(); // an unterminated array still reads as "not JSON"
        }
        throw new ProviderProtocolException(what + ": not a JSON object");
      }
      summary = object(p, what, problems);
    } catch (IOException e) { // JsonProcessingException and friends: never the bytes
      throw new ProviderProtocolException(what + ": not JSON");
    }
    if (problems.error != null) {
      throw new ProviderErrorException(what, problems.error);
    }
    if (problems.usage != null) {
      throw new ProviderProtocolException(problems.usage);
    }
    if (problems.choices != null) {
      throw new ProviderProtocolException(problems.choices);
    }
    return summary;
  }

  private static ChunkSummary object(JsonParser p, String what, Problems problems) throws IOException {
    Optional<String> model = Optional.empty();
    Optional<String> fingerprint = Optional.empty();
    Optional<Usage> usage = Optional.empty();
    int choiceCount = 0;
    List<ChunkSummary.Choice> choices = List.of();
    Unknown unknown = new Unknown();
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      switch (name) {
        case "error" -> {
          // read whole (the event is bounded by the SSE parser): its type names the error to the caller
          problems.error = v == JsonToken.VALUE_NULL ? null : p.readValueAsTree();
        }
        case "model" -> model = string(p, v);
        case "system_fingerprint" -> fingerprint = string(p, v);
        case "usage" -> {
          problems.usage = null;
          usage = usage(p, v, what, problems);
        }
        case "choices" -> {
          problems.choices = null;
          choiceCount = 0;
          choices = List.of();
          if (v == JsonToken.START_ARRAY) {
            List<ChunkSummary.Choice> read = new ArrayList<>(1);
            for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
              choiceCount++;
              if (e == JsonToken.START_OBJECT) {
                read.add(choice(p));
              } else {
                p.skipChildren();
              }
            }
            choices = read;
          } else if (v != JsonToken.VALUE_NULL) {
            problems.choices = what + " chunk: choices is not an array";
            p.skipChildren();
          }
        }
        default -> {
          if (AnswerFields.TOP.contains(name)) {
            p.skipChildren();
          } else {
            unknown.read(p, v, name);
          }
        }
      }
    }
    return new ChunkSummary(model, fingerprint, usage, choiceCount, choices, unknown.text());
  }

  private static Optional<String> string(JsonParser p, JsonToken v) throws IOException {
    if (v == JsonToken.VALUE_STRING) {
      return Optional.of(p.getText());
    }
    p.skipChildren();
    return Optional.empty();
  }

  /** OpenAiCompatibleAdapter.readUsage's rules, streaming. */
  private static Optional<Usage> usage(JsonParser p, JsonToken v, String what, Problems problems) throws IOException {
    if (v == JsonToken.VALUE_NULL) {
      return Optional.empty();
    }
    if (v != JsonToken.START_OBJECT) {
      problems.usage = what + ": usage is not an object";
      p.skipChildren();
      return Optional.empty();
    }
    Long prompt = null;
    Long completion = null;
    long cached = 0;
    String promptProblem = null;
    String completionProblem = null;
    String cachedProblem = null;
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken c = p.nextToken();
      if (name.equals("prompt_tokens_details")) { // given twice, the last one counts, as in a tree
        if (c == JsonToken.START_OBJECT) {
          cached = cachedTokens(p);
        } else {
          cached = 0;
          p.skipChildren();
        }
        cachedProblem = cached < 0
            ? what + ".usage.prompt_tokens_details.cached_tokens: expected a non-negative integer" : null;
        continue;
      }
      boolean isPrompt = name.equals("prompt_tokens");
      if (!isPrompt && !name.equals("completion_tokens")) {
        p.skipChildren();
        continue;
      }
      Long value = null;
      String problem = null;
      if (c == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
          && p.getLongValue() >= 0) {
        value = p.getLongValue();
      } else if (c != JsonToken.VALUE_NULL) {
        problem = what + ".usage." + name + ": expected a non-negative integer";
        p.skipChildren();
      }
      if (isPrompt) {
        prompt = value;
        promptProblem = problem;
      } else {
        completion = value;
        completionProblem = problem;
      }
    }
    if (promptProblem != null || completionProblem != null) {
      problems.usage = promptProblem != null ? promptProblem : completionProblem;
      return Optional.empty();
    }
    if (prompt == null && completion == null) {
      return Optional.empty();
    }
    if (cachedProblem != null) { // read only for usage that counts, as the tree's readUsage does
      problems.usage = cachedProblem;
      return Optional.empty();
    }
    long promptTokens = prompt == null ? 0 : prompt;
    return Optional.of(new Usage(promptTokens, completion == null ? 0 : completion, Math.min(cached, promptTokens)));
  }

  /**
   * {@code prompt_tokens_details.cached_tokens}, the parser at that object's start, read to its
   * end: 0 when absent or null, -1 when not a non-negative integer.
   */
  private static long cachedTokens(JsonParser p) throws IOException {
    long cached = 0;
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken c = p.nextToken();
      if (!name.equals("cached_tokens")) {
        p.skipChildren();
      } else if (c == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
          && p.getLongValue() >= 0) {
        cached = p.getLongValue();
      } else if (c != JsonToken.VALUE_NULL) {
        cached = -1;
        p.skipChildren();
      }
    }
    return cached;
  }

  private static ChunkSummary.Choice choice(JsonParser p) throws IOException {
    int index = 0;
    Optional<String> content = Optional.empty();
    String other = "";
    List<ChunkSummary.Arguments> arguments = List.of();
    String deltaUnknown = "";
    Unknown unknown = new Unknown(); // the choice's own fields beside the delta
    boolean finished = false;
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      switch (name) {
        case "index" -> {
          index = v == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT ? p.getIntValue() : 0;
          p.skipChildren();
        }
        case "delta" -> {
          content = Optional.empty();
          other = "";
          arguments = List.of();
          deltaUnknown = "";
          if (v == JsonToken.START_OBJECT) {
            Delta d = delta(p);
            content = d.content;
            other = d.other == null ? "" : d.other;
            arguments = d.arguments();
            deltaUnknown = d.unknown.text();
          } else {
            p.skipChildren();
          }
        }
        case "finish_reason" -> {
          finished = v != JsonToken.VALUE_NULL;
          p.skipChildren();
        }
        default -> unknown.read(p, v, name); // "message" too: AnswerFields.CHUNK_CHOICE
      }
    }
    String own = unknown.text();
    return new ChunkSummary.Choice(index, content, finished, other, "",
        own.isEmpty() ? deltaUnknown : deltaUnknown.isEmpty() ? own : deltaUnknown + "\n" + own, arguments);
  }

  /**
   * The strings of one object's fields nobody reads, by field, in the order the fields first came:
   * a key given twice keeps its place and its last value, as in a tree. Nothing is built for a
   * field without strings (OpenAI's {@code "logprobs":null} on every chunk).
   */
  private static final class Unknown {
    private Map<String, String> byField;

    /** Reads the value at {@code v} (the parser on its first token), the field {@code name}'s. */
    void read(JsonParser p, JsonToken v, String name) throws IOException {
      StringBuilder strings = allStrings(p, v, null);
      put(name, strings == null ? null : strings.toString());
    }

    /**
     * The field {@code name}'s strings, read elsewhere (a known field's that are not its billed
     * text), one per line; null when its value has none.
     */
    void put(String name, String strings) {
      if (strings == null) {
        if (byField != null) {
          byField.replace(name, ""); // a later value without strings replaces them, as in a tree
        }
        return;
      }
      if (byField == null) {
        byField = new LinkedHashMap<>(2);
      }
      byField.put(name, strings);
    }

    /** Each field's strings, one field per line, fields without any left out; empty when none. */
    String text() {
      if (byField == null) {
        return "";
      }
      StringBuilder out = new StringBuilder();
      for (String strings : byField.values()) {
        if (!strings.isEmpty()) {
          if (out.length() > 0) {
            out.append('\n');
          }
          out.append(strings);
        }
      }
      return out.toString();
    }
  }

  /**
   * One delta's billed output. A key given twice counts as a tree reader would read it: the last
   * one (the fuzz test holds the two readings equal).
   */
  private static final class Delta {
    Optional<String> content = Optional.empty();
    /** The text of {@code content} sent as parts, not a string ({@link #text}). */
    String contentParts;
    /** {@code reasoning_content}, {@code reasoning}: what OpenAI-compatible servers stream of a reasoning model's thinking. */
    String reasoningContent;
    String reasoning;
    String refusal;
    /**
     * Each tool call's {@code function} name and arguments, then its {@code custom} name and input
     * ({@link #billed}).
     */
    List<String> toolArguments;
    String functionArguments;
    /** The arguments (or input) strings among {@code toolArguments}, with their call's index. */
    List<ChunkSummary.Arguments> toolArgumentPieces;
    /** {@code function_call.arguments}, when a string. */
    String functionArgumentsOnly;
    /** Set by {@link #billed}: its {@code key} string, null when none. */
    String billedKey;
    /**
     * The strings of the field being read ({@code tool_calls}, {@code function_call}) that are not
     * its billed text, one per line; made with the first.
     */
    StringBuilder rest;
    /**
     * Content parts, reasoning, refusal, tool calls' names and arguments, a legacy function call's
     * name and arguments, in that order; null when none.
     */
    String other;
    /** The strings of each field nobody reads ({@code role} aside). */
    final Unknown unknown = new Unknown();

    /** The pieces of {@link #other} that are arguments, in its order. */
    List<ChunkSummary.Arguments> arguments() {
      if (functionArgumentsOnly == null) {
        return toolArgumentPieces == null ? List.of() : toolArgumentPieces;
      }
      List<ChunkSummary.Arguments> all = new ArrayList<>(toolArgumentPieces == null ? List.of() : toolArgumentPieces);
      all.add(new ChunkSummary.Arguments(ChunkSummary.Arguments.FUNCTION_CALL, functionArgumentsOnly));
      return all;
    }

    void finish() {
      if (contentParts == null && reasoningContent == null && reasoning == null && refusal == null
          && (toolArguments == null || toolArguments.isEmpty()) && functionArguments == null) {
        return; // the common delta: text only, nothing more to build
      }
      StringBuilder o = new StringBuilder();
      if (contentParts != null) {
        o.append(contentParts);
      }
      if (reasoningContent != null) {
        o.append(reasoningContent);
      }
      if (reasoning != null) {
        o.append(reasoning);
      }
      if (refusal != null) {
        o.append(refusal);
      }
      if (toolArguments != null) {
        toolArguments.forEach(o::append);
      }
      if (functionArguments != null) {
        o.append(functionArguments);
      }
      other = o.length() == 0 ? null : o.toString();
    }
  }

  private static Delta delta(JsonParser p) throws IOException {
    Delta d = new Delta();
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      switch (name) {
        case "content" -> {
          d.content = v == JsonToken.VALUE_STRING ? Optional.of(p.getText()) : Optional.empty();
          d.contentParts = v == JsonToken.VALUE_STRING ? null : text(p, v);
        }
        case "refusal" -> d.refusal = text(p, v);
        case "reasoning_content" -> d.reasoningContent = text(p, v);
        case "reasoning" -> d.reasoning = text(p, v);
        case "tool_calls" -> {
          d.rest = null;
          d.toolArgumentPieces = null;
          d.toolArguments = toolArguments(p, v, d);
          d.unknown.put(name, d.rest == null ? null : d.rest.toString());
        }
        case "function_call" -> {
          d.rest = null;
          d.functionArguments = billed(p, v, "arguments", d); // its name too
          d.functionArgumentsOnly = d.billedKey;
          d.unknown.put(name, d.rest == null ? null : d.rest.toString());
        }
        case "role" -> p.skipChildren();
        default -> d.unknown.read(p, v, name);
      }
    }
    d.finish();
    return d;
  }

  /**
   * Appends every string of the value at {@code v} (the parser on its first token) to {@code out},
   * one per line, in document order; field names are not strings of the value. JSON's nesting is
   * bounded by the parser.
   */
  private static void strings(JsonParser p, JsonToken v, StringBuilder out) throws IOException {
    if (v == JsonToken.VALUE_STRING) {
      if (out.length() > 0) {
        out.append('\n');
      }
      out.append(p.getText());
    } else if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
      JsonToken end = v == JsonToken.START_OBJECT ? JsonToken.END_OBJECT : JsonToken.END_ARRAY;
      for (JsonToken t = p.nextToken(); t != end; t = p.nextToken()) {
        if (t == JsonToken.FIELD_NAME) {
          continue;
        }
        strings(p, t, out);
      }
    }
  }

  /**
   * The value at {@code v} (the parser on its first token) as billed text: a string as it is; any
   * other value's strings, a {@code type} field's aside, with nothing between them (the text of
   * parts, as Mistral's Magistral sends {@code content}: {@code [{"type":"text","text":"…"}]},
   * and a server may send reasoning or a refusal); null when it has none.
   */
  private static String text(JsonParser p, JsonToken v) throws IOException {
    if (v == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    StringBuilder parts = parts(p, v, null);
    return parts == null ? null : parts.toString();
  }

  /** {@code out} with the strings of the value at {@code v} appended as {@link #text} joins them; made with the first. */
  private static StringBuilder parts(JsonParser p, JsonToken v, StringBuilder out) throws IOException {
    if (v == JsonToken.VALUE_STRING) {
      return (out == null ? new StringBuilder() : out).append(p.getText());
    }
    if (v == JsonToken.START_OBJECT) {
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken f = p.nextToken();
        if (!(name.equals("type") && f == JsonToken.VALUE_STRING)) { // a part's kind, no text
          out = parts(p, f, out);
        }
      }
    } else if (v == JsonToken.START_ARRAY) {
      for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
        out = parts(p, t, out);
      }
    }
    return out;
  }

  /**
   * {@code out} with every string of the value at {@code v} (the parser on its first token)
   * appended as {@link #strings} appends them; made when the value is a string, an object or an
   * array, else null when {@code out} was.
   */
  private static StringBuilder allStrings(JsonParser p, JsonToken v, StringBuilder out) throws IOException {
    if (v != JsonToken.VALUE_STRING && v != JsonToken.START_OBJECT && v != JsonToken.START_ARRAY) {
      return out;
    }
    if (out == null) {
      out = new StringBuilder();
    }
    strings(p, v, out);
    return out;
  }

  /**
   * A delta's {@code tool_calls}: every call's {@code function} and {@code custom} (a custom tool's
   * free-text input) billed text ({@link #billed}: its name, then its arguments or input), in
   * order; null when not an array. Every other string under it goes to {@link Delta#rest}, but for
   * a call's {@code id}, {@code type} and {@code index} (a scalar there: an identifier, no text).
   */
  private static List<String> toolArguments(JsonParser p, JsonToken v, Delta d) throws IOException {
    if (v != JsonToken.START_ARRAY) {
      d.rest = allStrings(p, v, d.rest);
      return null;
    }
    List<String> out = new ArrayList<>(1);
    for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
      if (e != JsonToken.START_OBJECT) {
        d.rest = allStrings(p, e, d.rest);
        continue;
      }
      String args = null;
      String input = null;
      String argsOnly = null;
      String inputOnly = null;
      int index = 0;
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken f = p.nextToken();
        switch (name) {
          case "function" -> {
            args = billed(p, f, "arguments", d);
            argsOnly = d.billedKey;
          }
          case "custom" -> {
            input = billed(p, f, "input", d);
            inputOnly = d.billedKey;
          }
          case "id", "type", "index" -> {
            if (name.equals("index")) {
              index = f == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT ? p.getIntValue() : 0;
            }
            if (f == JsonToken.START_OBJECT || f == JsonToken.START_ARRAY) {
              d.rest = allStrings(p, f, d.rest);
            }
          }
          default -> d.rest = allStrings(p, f, d.rest);
        }
      }
      if (args != null) {
        out.add(args);
      }
      if (input != null) {
        out.add(input);
      }
      for (String piece : new String[] {argsOnly, inputOnly}) {
        if (piece != null && !piece.isEmpty()) {
          if (d.toolArgumentPieces == null) {
            d.toolArgumentPieces = new ArrayList<>(1);
          }
          d.toolArgumentPieces.add(new ChunkSummary.Arguments(index, piece));
        }
      }
    }
    return out;
  }

  /**
   * A tool call object's billed text: its {@code name} string then its {@code key} string ({@code
   * function.arguments}, {@code custom.input}), either alone when the other is not a string, or
   * null when neither is. The name is billed output as the arguments are (the model writes it; a
   * provider streams it once, in a call's first delta, so it is counted once). Every other string in
   * the value goes to {@link Delta#rest}.
   */
  private static String billed(JsonParser p, JsonToken v, String key, Delta d) throws IOException {
    d.billedKey = null;
    if (v != JsonToken.START_OBJECT) {
      d.rest = allStrings(p, v, d.rest);
      return null;
    }
    String callName = null;
    String text = null;
    for (JsonToken a = p.nextToken(); a == JsonToken.FIELD_NAME; a = p.nextToken()) {
      String name = p.currentName();
      JsonToken av = p.nextToken();
      boolean isName = name.equals("name");
      if (isName && av == JsonToken.VALUE_STRING) {
        callName = p.getText();
      } else if (name.equals(key) && av == JsonToken.VALUE_STRING) {
        text = p.getText();
      } else {
        // a later value replaces the string, as in a tree
        if (isName) {
          callName = null;
        } else if (name.equals(key)) {
          text = null;
        }
        d.rest = allStrings(p, av, d.rest);
      }
    }
    d.billedKey = text;
    return callName == null ? text : text == null ? callName : callName + text;
  }
}
