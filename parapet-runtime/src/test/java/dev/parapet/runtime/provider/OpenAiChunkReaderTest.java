package dev.parapet.runtime.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The streaming chunk reader gives exactly the verdicts reading the chunk into a tree gives. */
class OpenAiChunkReaderTest {

  /** The tree-based reading the streaming one replaced: the reference. */
  static ChunkSummary byTree(String json, String what) throws ProviderProtocolException {
    ObjectNode chunk = Json.parseObject(json, what);
    JsonNode error = chunk.get("error");
    if (error != null && !error.isNull()) {
      throw new ProviderErrorException(what, error);
    }
    Optional<Usage> usage = OpenAiCompatibleAdapter.readUsage(chunk, what);
    JsonNode choices = chunk.get("choices");
    if (choices != null && !choices.isNull() && !choices.isArray()) {
      throw new ProviderProtocolException(what + " chunk: choices is not an array");
    }
    List<ChunkSummary.Choice> read = new ArrayList<>();
    int count = choices == null ? 0 : choices.size();
    if (choices != null) {
      for (JsonNode c : choices) {
        if (!c.isObject()) {
          continue;
        }
        JsonNode index = c.get("index");
        int i = index != null && index.isInt() ? index.intValue() : 0;
        JsonNode delta = c.get("delta");
        Optional<String> content = Optional.empty();
        StringBuilder other = new StringBuilder();
        List<ChunkSummary.Arguments> arguments = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        if (delta != null && delta.isObject()) {
          delta.fields().forEachRemaining(f -> {
            StringBuilder strings = new StringBuilder();
            switch (f.getKey()) {
              case "content", "refusal", "reasoning_content", "reasoning", "role" -> { }
              case "tool_calls" -> toolCallStrings(f.getValue(), strings);
              case "function_call" -> stringsBeside(f.getValue(), "arguments", strings);
              default -> strings(f.getValue(), strings);
            }
            if (strings.length() > 0) {
              unknown.add(strings.toString());
            }
          });
          content = Json.text(delta, "content");
          if (content.isEmpty() && delta.get("content") != null) {
            parts(delta.get("content"), other);
          }
          parts(delta.path("reasoning_content"), other);
          parts(delta.path("reasoning"), other);
          parts(delta.path("refusal"), other);
          if (delta.path("tool_calls").isArray()) {
            for (JsonNode call : delta.path("tool_calls")) {
              if (call.isObject()) {
                JsonNode callIndex = call.get("index");
                int at = callIndex != null && callIndex.isInt() ? callIndex.intValue() : 0;
                billed(call.get("function"), "name").ifPresent(other::append);
                billed(call.get("function"), "arguments").ifPresent(other::append);
                billed(call.get("custom"), "name").ifPresent(other::append);
                billed(call.get("custom"), "input").ifPresent(other::append);
                billed(call.get("function"), "arguments").filter(a -> !a.isEmpty())
                    .ifPresent(a -> arguments.add(new ChunkSummary.Arguments(at, a)));
                billed(call.get("custom"), "input").filter(a -> !a.isEmpty())
                    .ifPresent(a -> arguments.add(new ChunkSummary.Arguments(at, a)));
              }
            }
          }
          billed(delta.get("function_call"), "name").ifPresent(other::append);
          billed(delta.get("function_call"), "arguments").ifPresent(other::append);
          billed(delta.get("function_call"), "arguments").ifPresent(
              a -> arguments.add(new ChunkSummary.Arguments(ChunkSummary.Arguments.FUNCTION_CALL, a)));
        }
        unknownStrings(c, AnswerFields.CHUNK_CHOICE, unknown);
        JsonNode finish = c.get("finish_reason");
        read.add(new ChunkSummary.Choice(i, content, finish != null && !finish.isNull(), other.toString(), "",
            String.join("\n", unknown), arguments));
      }
    }
    List<String> top = new ArrayList<>();
    unknownStrings(chunk, AnswerFields.TOP, top);
    return new ChunkSummary(Json.text(chunk, "model"), Json.text(chunk, "system_fingerprint"), usage, count, read,
        String.join("\n", top));
  }

  /** A string, or every string of parts but a {@code type} field's, with nothing between. */
  private static void parts(JsonNode node, StringBuilder out) {
    if (node.isTextual()) {
      out.append(node.textValue());
    } else if (node.isObject()) {
      node.fields().forEachRemaining(f -> {
        if (!(f.getKey().equals("type") && f.getValue().isTextual())) {
          parts(f.getValue(), out);
        }
      });
    } else {
      for (JsonNode child : node) {
        parts(child, out);
      }
    }
  }

  /** {@code object.key} when {@code object} is an object and that a string. */
  private static Optional<String> billed(JsonNode object, String key) {
    return object != null && object.isObject() ? Json.text(object, key) : Optional.empty();
  }

  /** The strings of a delta's tool_calls but the calls' billed names and texts, ids, types and indexes (these when scalars). */
  private static void toolCallStrings(JsonNode calls, StringBuilder out) {
    if (!calls.isArray()) {
      strings(calls, out);
      return;
    }
    for (JsonNode call : calls) {
      if (!call.isObject()) {
        strings(call, out);
        continue;
      }
      call.fields().forEachRemaining(f -> {
        switch (f.getKey()) {
          case "function" -> stringsBeside(f.getValue(), "arguments", out);
          case "custom" -> stringsBeside(f.getValue(), "input", out);
          case "id", "type", "index" -> {
            if (f.getValue().isContainerNode()) {
              strings(f.getValue(), out);
            }
          }
          default -> strings(f.getValue(), out);
        }
      });
    }
  }

  /** Every string at or under {@code node} but an object's {@code name} and {@code key} strings. */
  private static void stringsBeside(JsonNode node, String key, StringBuilder out) {
    if (!node.isObject()) {
      strings(node, out);
      return;
    }
    node.fields().forEachRemaining(f -> {
      if (!((f.getKey().equals(key) || f.getKey().equals("name")) && f.getValue().isTextual())) {
        strings(f.getValue(), out);
      }
    });
  }


  /** The strings of each of {@code object}'s fields not in {@code known}, one field per line, fields without any left out. */
  private static void unknownStrings(JsonNode object, java.util.Set<String> known, List<String> out) {
    object.fields().forEachRemaining(f -> {
      if (!known.contains(f.getKey())) {
        StringBuilder strings = new StringBuilder();
        strings(f.getValue(), strings);
        if (strings.length() > 0) {
          out.add(strings.toString());
        }
      }
    });
  }

  /** Every string at or under {@code node}, one per line, in document order. */
  private static void strings(JsonNode node, StringBuilder out) {
    if (node.isTextual()) {
      if (out.length() > 0) {
        out.append('\n');
      }
      out.append(node.textValue());
    } else {
      for (JsonNode child : node) {
        strings(child, out);
      }
    }
  }

  private static void agree(String json) {
    ChunkSummary expected;
    try {
      expected = byTree(json, "c");
    } catch (ProviderProtocolException e) {
      ProviderProtocolException got = assertThrows(ProviderProtocolException.class,
          () -> OpenAiChunkReader.read(json, "c"), json);
      assertEquals(e.getMessage(), got.getMessage(), json);
      assertEquals(e.getClass(), got.getClass(), json);
      if (e instanceof ProviderErrorException provider) {
        assertEquals(provider.errorType(), ((ProviderErrorException) got).errorType(), json);
      }
      return;
    }
    try {
      assertEquals(expected, OpenAiChunkReader.read(json, "c"), json);
    } catch (ProviderProtocolException e) {
      throw new AssertionError("tree read it, stream refused (" + e.getMessage() + "): " + json, e);
    }
  }

  @Test
  void realChunksReadAsATreeReadsThem() {
    agree("{\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"system_fingerprint\":\"fp_1\","
        + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"h\u00e9llo \uD83D\uDE00\"},\"logprobs\":null,\"finish_reason\":null}]}");
    agree("{\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}");
    agree("{\"choices\":[],\"usage\":{\"prompt_tokens\":2048,\"completion_tokens\":12,\"total_tokens\":2060,"
        + "\"prompt_tokens_details\":{\"cached_tokens\":1920,\"audio_tokens\":0},"
        + "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}");
    agree("{\"choices\":[{\"index\":1,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}}]},"
        + "\"finish_reason\":\"tool_calls\"}]}");
    agree("{\"choices\":[{\"delta\":{\"refusal\":\"no\"}}]}");
    agree("{\"choices\":[{\"delta\":{\"reasoning_content\":\"hm\",\"reasoning\":\"so\",\"refusal\":\"no\"}}]}");
    // fields nobody reads: every string in them, role aside, a key given twice in its first place
    agree("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"reasoning_details\":[{\"type\":\"reasoning.text\","
        + "\"text\":\"think\",\"n\":3},\"x\"],\"annotations\":null,\"reasoning_details\":{\"a\":[\"b\",{\"c\":\"d\"}]},"
        + "\"extra\":\"e\"}}]}");
    // beside the choices and beside a delta too: OpenAI's identifiers and padding aside; a field
    // whose later value has no strings drops out, as in a tree
    agree("{\"id\":\"x\",\"obfuscation\":\"4111 1111\",\"x_debug\":{\"trace\":[\"a\",\"\",\"b\"]},"
        + "\"choices\":[{\"logprobs\":{\"content\":[{\"token\":\"hi\"}]},\"delta\":{\"extra\":\"e\"},"
        + "\"stop_reason\":\"s\",\"logprobs\":null,\"stop_reason\":\"t\"}],\"service_tier\":\"default\",\"x_debug\":[\"c\"]}");
    // a details object given twice: the last one counts, also when it is not an object
    agree("{\"usage\":{\"prompt_tokens_details\":{\"cached_tokens\":-3},\"prompt_tokens_details\":true,"
        + "\"prompt_tokens\":4}}");
    agree("{\"choices\":[{\"delta\":{\"function_call\":{\"name\":\"f\",\"arguments\":\"{\\\"b\\\":2}\"}}}]}");
    agree("{\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]},\"finish_reason\":null}]}");
    agree("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
        + "\"id\":\"call_1\",\"type\":\"custom\",\"custom\":{\"name\":\"shell\",\"input\":\"ls\"}}]},\"finish_reason\":null}]}");
  }

  @Test
  void textBesideTheChoicesAndBesideTheDeltaIsUnknownText() throws Exception {
    ChunkSummary s = OpenAiChunkReader.read("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\","
        + "\"model\":\"m\",\"obfuscation\":\"a1b2@c3\",\"service_tier\":\"default\",\"x_debug\":{\"note\":\"lee@\"},"
        + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\",\"annotations\":[\"ann\"]},"
        + "\"logprobs\":{\"content\":[{\"token\":\"hi\",\"bytes\":[104,105]}]},\"logprobs\":null,"
        + "\"provider\":\"p\",\"finish_reason\":null}],\"x_debug\":{\"note\":\"lee@x.io\"}}", "c");
    assertEquals("lee@x.io", s.unknownText(), "identifiers and padding aside; a key given twice: its last value");
    assertEquals("ann\np", s.choices().get(0).unknownText(), "the delta's, then the choice's own; null has none");
    assertEquals("", OpenAiChunkReader.read("{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},"
        + "\"logprobs\":null,\"finish_reason\":null}]}", "c").choices().get(0).unknownText());
  }

  @Test
  void refusalsAndToolArgumentsAreTheOtherBilledText() throws Exception {
    ChunkSummary.Choice c = OpenAiChunkReader.read("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":["
        + "{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"send\",\"arguments\":\"{\\\"to\\\":\"}},"
        + "{\"index\":1,\"function\":{\"arguments\":\"bob@x.io\"}}],\"refusal\":\"r\"}}]}", "c").choices().get(0);
    assertEquals("rsend{\"to\":bob@x.io", c.otherText(), "refusal first, then each call's name and arguments in order");
    assertEquals(Optional.empty(), c.content());
    assertEquals("", c.unknownText(), "a call's name is billed text (counted and scanned), its id and index are not text");
    ChunkSummary.Choice custom = OpenAiChunkReader.read("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":["
        + "{\"index\":0,\"id\":\"call_1\",\"type\":\"custom\",\"custom\":{\"name\":\"shell\",\"input\":\"ls ~\"},"
        + "\"x_note\":[\"n\",1]}],\"function_call\":{\"name\":\"f\",\"arguments\":\"{}\",\"x\":{\"y\":\"z\"}}}}]}", "c")
        .choices().get(0);
    assertEquals("shellls ~f{}", custom.otherText(), "a custom tool's name and input are billed text, as a function's are");
    assertEquals("n\nz", custom.unknownText(), "every other string under a call is scanned");
    ChunkSummary.Choice parts = OpenAiChunkReader.read("{\"choices\":[{\"index\":0,\"delta\":{\"content\":["
        + "{\"type\":\"thinking\",\"thinking\":[{\"type\":\"text\",\"text\":\"hm, \"}]},{\"type\":\"text\",\"text\":\"a@\"},"
        + "{\"type\":\"text\",\"text\":\"b.io\"}],\"refusal\":{\"text\":\" no\"}}}]}", "c").choices().get(0);
    assertEquals(Optional.empty(), parts.content());
    assertEquals("hm, a@b.io no", parts.otherText(), "the parts' text, their kinds aside, joined with nothing between");
    assertEquals("", OpenAiChunkReader.read("{\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}", "c")
        .choices().get(0).otherText());
  }

  @Test
  void refusalsMatchTheTreeReadingsWordForWord() {
    for (String bad : List.of("not json", "[1,2]", "\"s\"", "{\"a\":", "{\"error\":{\"message\":\"sk-x\"}}",
        "{\"usage\":5}", "{\"usage\":{\"prompt_tokens\":-1}}", "{\"usage\":{\"completion_tokens\":1.5}}",
        "{\"usage\":{\"prompt_tokens\":99999999999999999999999}}", "{\"choices\":{}}", "{\"choices\":\"x\"}",
        "{\"usage\":{\"prompt_tokens\":5,\"prompt_tokens_details\":{\"cached_tokens\":-3}}}",
        "{\"usage\":{\"prompt_tokens_details\":{\"cached_tokens\":\"7\"},\"prompt_tokens\":5}}")) {
      agree(bad);
    }
    ProviderProtocolException e = assertThrows(ProviderProtocolException.class,
        () -> OpenAiChunkReader.read("{\"error\":\"sk-secret\"}", "c"));
    assertTrue(!e.getMessage().contains("sk-secret"), e.getMessage());
  }

  /**
   * A chunk carrying {@code error} is the provider's own error, named by its type (OpenAI's, vLLM's),
   * else its code (llama.cpp's number): never by its free text, and no type that is no identifier.
   */
  @Test
  void anErrorChunkIsTheProvidersErrorNamedByItsType() {
    String[][] cases = {
        {"{\"error\":{\"message\":\"The server had an error sk-x\",\"type\":\"server_error\",\"code\":null}}", "server_error"},
        {"{\"error\":{\"object\":\"error\",\"message\":\"m\",\"type\":\"BadRequestError\",\"code\":400}}", "BadRequestError"},
        {"{\"error\":{\"code\":503,\"message\":\"Loading model\"}}", "503"},
        {"{\"error\":{\"code\":\"rate_limit_exceeded\",\"message\":\"m\"}}", "rate_limit_exceeded"},
        {"{\"error\":{\"type\":\"has spaces: key sk-x\"}}", "unknown"},
        {"{\"error\":{\"type\":\"" + "x".repeat(65) + "\"}}", "unknown"},
        {"{\"error\":\"Overloaded sk-x\"}", "unknown"},
        {"{\"choices\":[],\"error\":{\"type\":\"server_error\"}}", "server_error"}};
    for (String[] c : cases) {
      agree(c[0]);
      ProviderErrorException e = assertThrows(ProviderErrorException.class, () -> OpenAiChunkReader.read(c[0], "c"), c[0]);
      assertEquals(c[1], e.errorType(), c[0]);
      assertTrue(!e.getMessage().contains("sk-x"), e.getMessage());
    }
  }

  @Test
  void randomChunksGetTheSameVerdictBothWays() {
    Random rnd = new Random(42);
    for (int i = 0; i < 5000; i++) {
      agree(object(rnd));
    }
  }

  private static final String[] TOP = {"model", "system_fingerprint", "usage", "choices", "error", "id", "object",
      "obfuscation", "x_debug", "prompt_filter_results"};
  private static final String[] CHOICE = {"index", "delta", "finish_reason", "logprobs", "stop_reason", "message"};
  private static final String[] DELTA = {"content", "refusal", "tool_calls", "function_call", "role",
      "reasoning_content", "reasoning", "reasoning_details", "annotations"};
  private static final String[] USAGE = {"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details"};
  private static final String[] DETAILS = {"cached_tokens", "audio_tokens"};

  private static String object(Random rnd) {
    return fields(rnd, TOP, 5, key -> switch (key) {
      case "choices" -> rnd.nextInt(6) == 0 ? scalar(rnd) : array(rnd, () -> choice(rnd));
      case "usage" -> rnd.nextInt(5) == 0 ? scalar(rnd) : fields(rnd, USAGE, 4, k -> k.equals("prompt_tokens_details")
          ? (rnd.nextInt(4) == 0 ? scalar(rnd) : fields(rnd, DETAILS, 2, d -> number(rnd)))
          : number(rnd));
      case "error" -> rnd.nextInt(3) == 0 ? "{}" : "null";
      default -> scalar(rnd);
    });
  }

  private static String choice(Random rnd) {
    if (rnd.nextInt(8) == 0) {
      return scalar(rnd);
    }
    return fields(rnd, CHOICE, 4,
        key -> key.equals("delta") && rnd.nextInt(5) > 0 ? delta(rnd) : key.equals("index") ? number(rnd) : scalar(rnd));
  }

  private static String delta(Random rnd) {
    return fields(rnd, DELTA, 4, key -> switch (key) {
      case "function_call" -> rnd.nextBoolean() ? function(rnd, "arguments") : scalar(rnd);
      case "tool_calls" -> rnd.nextInt(4) > 0 ? array(rnd, () -> rnd.nextInt(5) > 0 ? call(rnd) : scalar(rnd)) : scalar(rnd);
      case "content", "refusal", "reasoning", "reasoning_content" -> rnd.nextInt(4) == 0
          ? array(rnd, () -> rnd.nextInt(4) > 0 ? part(rnd) : scalar(rnd))
          : rnd.nextInt(8) == 0 ? part(rnd) : scalar(rnd);
      default -> rnd.nextInt(4) == 0
          ? array(rnd, () -> rnd.nextBoolean() ? "{\"function\":{\"arguments\":" + scalar(rnd) + "}}" : scalar(rnd))
          : scalar(rnd);
    });
  }

  /** A content part: its kind, its text, and a field nobody knows (each maybe not a string). */
  private static String part(Random rnd) {
    return distinctFields(rnd, new String[] {"type", "text", "x_extra"},
        k -> k.equals("type") && rnd.nextBoolean() ? "\"text\"" : scalar(rnd));
  }

  // Inside a tool call no key is given twice: the streaming reader scans every value of a key
  // given twice there (more than a tree sees: fail closed), and keeps the last billed text.
  private static final String[] CALL = {"index", "id", "type", "function", "custom", "x_extra"};

  private static String call(Random rnd) {
    return distinctFields(rnd, CALL, key -> switch (key) {
      case "function" -> rnd.nextInt(4) > 0 ? function(rnd, "arguments") : scalar(rnd);
      case "custom" -> rnd.nextInt(4) > 0 ? function(rnd, "input") : scalar(rnd);
      case "index" -> number(rnd);
      default -> scalar(rnd);
    });
  }

  /** A function or custom object: {@code name}, its billed text under {@code key}, and a field nobody knows. */
  private static String function(Random rnd, String key) {
    return distinctFields(rnd, new String[] {"name", key, "x_extra"}, k -> scalar(rnd));
  }

  /** An object of some of {@code keys}, each once, in a random order. */
  private static String distinctFields(Random rnd, String[] keys, java.util.function.Function<String, String> valueOf) {
    List<String> shuffled = new ArrayList<>(List.of(keys));
    java.util.Collections.shuffle(shuffled, rnd);
    StringBuilder sb = new StringBuilder("{");
    int n = rnd.nextInt(keys.length + 1);
    for (int k = 0; k < n; k++) {
      if (k > 0) {
        sb.append(',');
      }
      sb.append('"').append(shuffled.get(k)).append("\":").append(valueOf.apply(shuffled.get(k)));
    }
    return sb.append('}').toString();
  }

  /** An object of up to {@code maxFields - 1} fields with keys drawn from {@code keys} (repeats too). */
  private static String fields(Random rnd, String[] keys, int maxFields, java.util.function.Function<String, String> valueOf) {
    StringBuilder sb = new StringBuilder("{");
    int n = rnd.nextInt(maxFields);
    for (int k = 0; k < n; k++) {
      String key = keys[rnd.nextInt(keys.length)];
      if (k > 0) {
        sb.append(',');
      }
      sb.append('"').append(key).append("\":").append(valueOf.apply(key));
    }
    return sb.append('}').toString();
  }

  private static String array(Random rnd, java.util.function.Supplier<String> element) {
    StringBuilder sb = new StringBuilder("[");
    int n = rnd.nextInt(3);
    for (int k = 0; k < n; k++) {
      if (k > 0) {
        sb.append(',');
      }
      sb.append(element.get());
    }
    return sb.append(']').toString();
  }

  private static String number(Random rnd) {
    return switch (rnd.nextInt(7)) {
      case 0 -> "-3";
      case 1 -> "2.5";
      case 2 -> "12345678901234567890123";
      case 3 -> "null";
      case 4 -> "\"7\"";
      case 5 -> "4000000000";
      default -> Integer.toString(rnd.nextInt(100));
    };
  }

  private static String scalar(Random rnd) {
    return switch (rnd.nextInt(8)) {
      case 0 -> "null";
      case 1 -> "\"t\u00e9xt \uD83D\uDE00\"";
      case 2 -> "\"\"";
      case 3 -> "7";
      case 4 -> "true";
      case 5 -> "[1,{\"a\":[]}]";
      case 6 -> "{\"content\":\"x\"}";
      default -> "\"stop\"";
    };
  }
}
