package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.core.config.Route;
import dev.parapet.core.tokens.TokenCounter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads what the policies need out of an OpenAI Chat Completions request: message texts (string
 * or multi-part content), the caller's output cap, and the prompt's token count. The echo
 * provider reports usage with the same {@link #promptTokens} the enforcement path estimates
 * with, so the two always agree.
 */
public final class ChatMessages {
  private ChatMessages() {}

  /**
   * The text of one message's {@code content}: the string itself, or its {@code text} and {@code
   * refusal} parts concatenated (other parts such as images contribute nothing); empty for
   * null/absent content.
   */
  public static String text(JsonNode content) {
    Pieces text = new Pieces(true);
    content(content, text);
    return text.text();
  }

  /**
   * The text of a Predicted Outputs {@code prediction} ({@code prediction.content}: a string or
   * text parts); empty when the request predicts nothing. The provider bills the prediction's
   * tokens that the answer does not use ({@code rejected_prediction_tokens}) as output, on top of
   * what {@code max_tokens} allows, and never sends them.
   */
  public static Optional<String> prediction(JsonNode request) {
    JsonNode content = request.path("prediction").get("content");
    String text = content == null ? "" : text(content);
    return text.isEmpty() ? Optional.empty() : Optional.of(text);
  }

  /**
   * The chars of {@link #texts}, without building them: what decides whether work on a prompt
   * leaves the event loop.
   */
  public static long textChars(JsonNode request) {
    long chars = 0;
    for (JsonNode message : request.path("messages")) {
      Pieces p = new Pieces(false);
      message(message, p);
      chars += p.chars;
    }
    Pieces tools = new Pieces(false);
    definitions(request, tools);
    return chars + tools.chars;
  }

  /**
   * The chars of every string and field name a body holds, images and tool schemas included:
   * what the prompt's redaction scan and the upstream encoding read, which decides whether that
   * work leaves the event loop. Depth first; JSON's nesting is bounded by the parser.
   */
  public static long stringChars(JsonNode node) {
    if (node.isTextual()) {
      return node.textValue().length();
    }
    long chars = 0;
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        chars += field.getKey().length() + stringChars(field.getValue());
      }
    } else if (node.isArray()) {
      for (JsonNode element : node) {
        chars += stringChars(element);
      }
    }
    return chars;
  }

  /**
   * The text a content part is billed as: a {@code text} part's {@code text}, or an earlier
   * assistant turn's {@code refusal} part's {@code refusal}; null for any other part.
   */
  private static String partText(JsonNode part) {
    String type = part.path("type").asText();
    JsonNode text = "text".equals(type) || "refusal".equals(type) ? part.get(type) : null;
    return text != null && text.isTextual() ? text.textValue() : null;
  }

  /**
   * The prompt's texts, in order, for its token count and its bound: per message, its content's
   * text, its {@code name} and {@code tool_call_id}, then, for a turn that made tool calls, each
   * call's {@code id}, function name and arguments (joined by line breaks); then, when the request defines
   * tools ({@code tools}, legacy {@code functions}) or a structured answer ({@code
   * response_format.json_schema}), one more text of every field name and value they hold
   * (numbers, booleans and nulls as their JSON text). The provider bills all of it as input (a schema is
   * written into the prompt; on an anthropic route it is a tool's), so all of it counts against
   * {@code max_tokens_in} and the budget's worst case.
   */
  public static List<String> texts(JsonNode request) {
    List<String> texts = new ArrayList<>();
    for (JsonNode message : request.path("messages")) {
      Pieces p = new Pieces(true);
      message(message, p);
      texts.add(p.text());
    }
    Pieces tools = new Pieces(true);
    definitions(request, tools);
    if (tools.chars > 0) {
      texts.add(tools.text());
    }
    return texts;
  }

  /**
   * One message's billed text: content, its {@code name}, {@code tool_call_id} and {@code
   * refusal} (OpenAI renders every value of a message into the prompt: the cookbook counts them)
   * and a local server's {@code reasoning} or {@code reasoning_content} ({@link #MESSAGE_TEXTS}),
   * then each tool call's {@code id}, name and arguments. Left out, a caller could add uncounted tokens to every message
   * (an id is the caller's string, of any length).
   */
  private static void message(JsonNode message, Pieces out) {
    content(message.get("content"), out);
    strings(message, MESSAGE_TEXTS, out);
    for (JsonNode call : message.path("tool_calls")) {
      strings(call, TOOL_CALL_TEXTS, out);
      strings(call.path("function"), FUNCTION_TEXTS, out);
    }
    strings(message.path("function_call"), FUNCTION_TEXTS, out);
  }

  /**
   * A {@code content}: the string, or its {@code text} and {@code refusal} parts concatenated into
   * one piece (other parts such as images contribute nothing); nothing for null or absent content.
   */
  private static void content(JsonNode content, Pieces out) {
    if (content != null && content.isTextual()) {
      out.add(content.textValue());
    } else if (content != null && content.isArray()) {
      for (JsonNode part : content) {
        String text = partText(part);
        if (text != null) {
          out.append(text);
        }
      }
    }
  }

  private static final String[] FUNCTION_TEXTS = {"name", "arguments"};
  /** A tool call's {@code id}: the caller writes it (it replays the history), at any length. */
  private static final String[] TOOL_CALL_TEXTS = {"id"};
  /**
   * A message's strings billed beside its content: {@code name} and {@code tool_call_id}, an
   * assistant turn's {@code refusal} (OpenAI's answer field, replayed: the provider reads it as
   * the turn's text), and an earlier turn's thinking, which local servers hand back to the
   * model's chat template ({@code reasoning}: Ollama; {@code reasoning_content}: llama.cpp, vLLM).
   */
  private static final String[] MESSAGE_TEXTS =
      {"name", "tool_call_id", "refusal", "reasoning", "reasoning_content"};
  private static final String[] DEFINITIONS = {"tools", "functions"};
  /**
   * What vLLM and SGLang render into the prompt through the model's chat template, beside the
   * messages: RAG {@code documents} (Granite's and Command R's templates write them out) and {@code
   * chat_template_kwargs} (any variable a template reads). Billed as input, so counted as input.
   */
  private static final String[] TEMPLATE_INPUTS = {"documents", "chat_template_kwargs"};

  /** Each of {@code fields} of {@code node} that is a string, as a piece; nothing when not an object. */
  private static void strings(JsonNode node, String[] fields, Pieces out) {
    if (node.isObject()) {
      for (String field : fields) {
        JsonNode v = node.get(field);
        if (v != null && v.isTextual()) {
          out.add(v.textValue());
        }
      }
    }
  }

  /**
   * Every field name and string of the request's tool definitions, a local server's template
   * inputs ({@link #TEMPLATE_INPUTS}) and the answer schema, in order.
   */
  private static void definitions(JsonNode request, Pieces out) {
    for (String field : DEFINITIONS) {
      JsonNode defs = request.get(field);
      if (defs != null && defs.isArray()) {
        words(defs, out);
      }
    }
    for (String field : TEMPLATE_INPUTS) {
      JsonNode inputs = request.get(field);
      if (inputs != null && inputs.isContainerNode()) {
        words(inputs, out);
      }
    }
    JsonNode schema = request.path("response_format").get("json_schema");
    if (schema != null && schema.isObject()) {
      words(schema, out);
    }
  }

  /**
   * Every field name and value, each its own piece: a name or string as itself (empty: its quotes),
   * any other scalar as its JSON text (a number as written, {@code true}, {@code false}, {@code
   * null}), an empty array or object as its brackets. The provider writes all of it into the prompt
   * (OpenAI an enum's every value, Anthropic the schema as JSON), so no node is free: an enum of
   * 30,000 numbers, or of empty strings, costs what it is billed. Depth first; JSON's nesting is
   * bounded by the parser (Jackson's default: 1,000 levels).
   */
  private static void words(JsonNode node, Pieces out) {
    if (node.isTextual()) {
      out.add(word(node.textValue()));
    } else if (node.isContainerNode() && node.isEmpty()) {
      out.add(node.isArray() ? "[]" : "{}");
    } else if (node.isArray()) {
      for (JsonNode e : node) {
        words(e, out);
      }
    } else if (node.isObject()) {
      for (var field : node.properties()) {
        out.add(word(field.getKey()));
        words(field.getValue(), out);
      }
    } else {
      out.add(node.asText());
    }
  }

  /** A name or string of a definition; an empty one as its quotes, which are billed all the same. */
  private static String word(String s) {
    return s.isEmpty() ? "\"\"" : s;
  }

  /**
   * Texts joined by line breaks (empty ones skipped), or only their length. A text of one piece is
   * that piece itself, not a copy (the common message: string content only).
   */
  private static final class Pieces {
    private final boolean build;
    private String single;
    private StringBuilder joined;
    long chars;
    private boolean separate;

    Pieces(boolean build) {
      this.build = build;
    }

    /** A new piece, after a line break if anything came before. */
    void add(String s) {
      if (!s.isEmpty() && chars > 0) {
        separate = true;
      }
      append(s);
    }

    /** More of the current piece. */
    void append(String s) {
      if (s.isEmpty()) {
        return;
      }
      if (separate) {
        chars++;
      }
      chars += s.length();
      if (build) {
        if (single == null && joined == null) {
          single = s;
        } else {
          if (joined == null) {
            joined = new StringBuilder(single);
            single = null;
          }
          if (separate) {
            joined.append('\n');
          }
          joined.append(s);
        }
      }
      separate = false;
    }

    String text() {
      return joined != null ? joined.toString() : single != null ? single : "";
    }
  }

  /**
   * Prompt tokens of {@code request} for {@code route}'s model: every text of {@link #texts} with
   * OpenAI's chat framing ({@link TokenCounter#countMessages}). Image parts are counted through the
   * counter's overhead ({@code PromptImages}), not here.
   */
  public static int promptTokens(Route route, JsonNode request) {
    return TokenCounter.forModel(route.provider().type(), route.provider().model())
        .countMessages(texts(request));
  }

  /** The last message with {@code role: user}, if any. */
  static Optional<JsonNode> lastUser(JsonNode request) {
    JsonNode messages = request.path("messages");
    for (int i = messages.size() - 1; i >= 0; i--) {
      JsonNode m = messages.get(i);
      if ("user".equals(m.path("role").asText())) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }

  /**
   * The caller's output cap: the smaller of {@code max_completion_tokens} and {@code max_tokens}
   * when given as positive integers.
   */
  public static Optional<Integer> maxOutputTokens(JsonNode request) {
    Optional<Integer> cap = Optional.empty();
    for (String field : new String[] {"max_completion_tokens", "max_tokens"}) {
      JsonNode n = request.get(field);
      if (n != null && n.canConvertToInt() && n.isIntegralNumber() && n.intValue() > 0) {
        int v = n.intValue();
        cap = Optional.of(cap.map(c -> Math.min(c, v)).orElse(v));
      }
    }
    return cap;
  }

  /**
   * Whether the call asks for reasoning: a {@code reasoning_effort} other than {@code none}. An
   * anthropic route then thinks ({@code AnthropicThinking}, which refuses an effort it does not know).
   */
  public static boolean asksForReasoning(JsonNode request) {
    JsonNode effort = request.get("reasoning_effort");
    return effort != null && !effort.isNull() && !"none".equals(effort.asText(null));
  }

  /** OpenAI's bound on {@code n}: choices a call may ask for. */
  public static final int MAX_CHOICES = 128;

  /**
   * The fields that ask for choices: OpenAI's {@code n}, and llama.cpp's own {@code n_cmpl}, which
   * its server reads before {@code n} on its OpenAI chat endpoint too.
   */
  public static final List<String> CHOICE_FIELDS = List.of("n", "n_cmpl");

  /**
   * How many choices the call asks for ({@link #CHOICE_FIELDS}, the larger): each may be {@code
   * max_tokens} long, and the provider bills them all. 1 when absent or null; the route stage
   * refuses any other value outside 1..{@value #MAX_CHOICES}, so another one here (a call that
   * skipped it) reads as the bound.
   */
  public static int choices(JsonNode request) {
    int choices = 1;
    for (String field : CHOICE_FIELDS) {
      JsonNode n = request.get(field);
      if (n != null && !n.isNull()) {
        choices = Math.max(choices, isChoiceCount(n) ? n.intValue() : MAX_CHOICES);
      }
    }
    return choices;
  }

  /** Whether {@code n} is a choice count a call may ask for: an integer from 1 to {@value #MAX_CHOICES}. */
  public static boolean isChoiceCount(JsonNode n) {
    return n.isIntegralNumber() && n.canConvertToInt() && n.intValue() >= 1 && n.intValue() <= MAX_CHOICES;
  }
}
