package dev.parapet.runtime.provider;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/** The one Jackson mapper of the provider package (thread-safe once configured) and small reads. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Json() {}

  /** Compact serialization; cannot fail for trees we built or parsed. */
  static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a JSON tree", e);
    }
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
