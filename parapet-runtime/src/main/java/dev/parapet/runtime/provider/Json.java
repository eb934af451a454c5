package dev.parapet.runtime.provider;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * The one Jackson mapper provider answers are read with, whole ones and each streamed event alike
 * (thread-safe once configured), and small reads.
 */
public final class Json {
  /**
   * Numbers of up to this many digits are read (Jackson's default stops at 1,000): a model asked
   * for one writes a long number into a tool call's input, and an answer, or a streamed event,
   * refused for it is billed all the same. Bounded: with the fast parser a 16 MiB answer made of
   * such numbers reads in about a second, as one of 1,000-digit numbers does.
   */
  public static final int MAX_NUMBER_DIGITS = 10_000;
  /** Reads provider answers and events, and writes what we send. */
  public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNumberLength(MAX_NUMBER_DIGITS).build())
      .enable(StreamReadFeature.USE_FAST_BIG_NUMBER_PARSER)
      .build());
  static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Json() {}

  /** A caller-supplied token for an error message: short and printable, never raw bytes. */
  static String safe(String s) {
    String cut = s.length() > 32 ? s.substring(0, 32) + "..." : s;
    return cut.replaceAll("[^A-Za-z0-9_.-]", "?");
  }

  /**
   * Compact serialization; cannot fail for trees we built or parsed. A lone surrogate in a string
   * (a provider may send one escaped, RFC 8259 §8.2: Anthropic's deltas can split an emoji's pair
   * between two events) is written escaped, as the provider sent it: Jackson writes it to a
   * {@code String} as it is, and the UTF-8 encoding of the caller's bytes would make it {@code ?},
   * so a pair split across two deltas would reach the caller as two {@code ?}.
   */
  static String write(JsonNode node) {
    try {
      return escapeLoneSurrogates(MAPPER.writeValueAsString(node));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a JSON tree", e);
    }
  }

  /**
   * {@code json} with each surrogate that is not half of a pair as a {@code \}{@code uXXXX}
   * escape. Jackson's output holds characters only inside string literals, where the escape reads
   * back as the same character. Unchanged (the same instance) when there is none, the usual case.
   */
  static String escapeLoneSurrogates(String json) {
    StringBuilder out = null;
    int copied = 0;
    for (int i = 0; i < json.length(); i++) {
      char ch = json.charAt(i);
      if (!Character.isSurrogate(ch)) {
        continue;
      }
      if (Character.isHighSurrogate(ch) && i + 1 < json.length() && Character.isLowSurrogate(json.charAt(i + 1))) {
        i++; // a pair: UTF-8 has it
        continue;
      }
      if (out == null) {
        out = new StringBuilder(json.length() + 16);
      }
      out.append(json, copied, i).append("\\u").append(Integer.toHexString(ch));
      copied = i + 1;
    }
    return out == null ? json : out.append(json, copied, json.length()).toString();
  }

  static byte[] writeBytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a JSON tree", e);
    }
  }

  /**
   * Parses one provider event payload as a JSON object. The message names the source, never the
   * bytes (they could echo a key back).
   */
  static ObjectNode parseObject(String json, String what) throws ProviderProtocolException {
    JsonNode node;
    try {
      node = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new ProviderProtocolException(what + ": not JSON");
    }
    if (!(node instanceof ObjectNode object)) {
      throw new ProviderProtocolException(what + ": not a JSON object");
    }
    return object;
  }

  static Optional<String> text(JsonNode parent, String field) {
    JsonNode n = parent.get(field);
    return n != null && n.isTextual() ? Optional.of(n.asText()) : Optional.empty();
  }

  /** A non-negative integral field, empty if absent or null; ill-typed is a protocol error. */
  static Optional<Long> count(JsonNode parent, String field, String what)
      throws ProviderProtocolException {
    JsonNode n = parent.get(field);
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
      throw new ProviderProtocolException(what + "." + field + ": expected a non-negative integer");
    }
    return Optional.of(n.asLong());
  }
}
