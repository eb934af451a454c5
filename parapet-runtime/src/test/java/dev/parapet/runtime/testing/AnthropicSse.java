package dev.parapet.runtime.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Pieces of an Anthropic Messages stream as a mock provider sends them. */
public final class AnthropicSse {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AnthropicSse() {}

  /** One server-sent event: {@code event: type}, {@code data: data}, a blank line. */
  public static String event(String type, String data) {
    return "event: " + type + "\ndata: " + data + "\n\n";
  }

  /** A {@code content_block_delta} of block {@code index} whose {@code type} delta carries {@code text} in {@code field}. */
  public static String delta(int index, String type, String field, String text) throws JsonProcessingException {
    return event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" + index + ",\"delta\":{\"type\":\""
        + type + "\",\"" + field + "\":" + JSON.writeValueAsString(text) + "}}");
  }
}
