package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.core.config.Route;
import dev.parapet.core.tokens.TokenCounter;
import java.util.ArrayList;
import java.util.List;
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
   * The text of one message's {@code content}: the string itself, or its {@code text} parts
   * concatenated (other parts such as images contribute nothing); empty for null/absent content.
   */
  public static String text(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isTextual()) {
      return content.asText();
    }
    StringBuilder sb = new StringBuilder();
    if (content.isArray()) {
      for (JsonNode part : content) {
        if (isTextPart(part)) {
          sb.append(part.get("text").asText());
        }
      }
    }
    return sb.toString();
  }

  /**
   * The chars of every message's text (string content and text parts), without building them:
   * what decides whether work on a prompt leaves the event loop.
   */
  public static long textChars(JsonNode request) {
    long chars = 0;
    for (JsonNode message : request.path("messages")) {
      JsonNode content = message.get("content");
      if (content != null && content.isTextual()) {
        chars += content.textValue().length();
      } else if (content != null && content.isArray()) {
        for (JsonNode part : content) {
          if (isTextPart(part)) {
            chars += part.get("text").textValue().length();
          }
        }
      }
    }
    return chars;
  }

  /** A content part whose text counts: {@code type: "text"} with a string {@code text}. */
  private static boolean isTextPart(JsonNode part) {
    return "text".equals(part.path("type").asText()) && part.path("text").isTextual();
  }

  /** One text per message of the request, in order (for prompt token counting). */
  public static List<String> texts(JsonNode request) {
    List<String> texts = new ArrayList<>();
    for (JsonNode message : request.path("messages")) {
      texts.add(text(message.get("content")));
    }
    return texts;
  }

  /**
   * Prompt tokens of {@code request} for {@code route}'s model: every message's text with
   * OpenAI's chat framing ({@link TokenCounter#countMessages}). Image and audio parts, tool
   * definitions and message names are not counted.
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
}
