package dev.parapet.runtime.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the token-limit stage measures before it builds anything: {@link ChatMessages#textChars} must
 * be exactly the length of the texts {@link ChatMessages#texts} builds, whatever shape the content
 * has, since it decides whether the count leaves the loop and stands for the texts' chars.
 */
class ChatMessagesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void textCharsIsTheLengthOfTheTextsBuiltForEveryContentShape() throws Exception {
    JsonNode request = JSON.readTree("""
        {"messages":[
          {"role":"system","content":"You are terse."},
          {"role":"user","content":[{"type":"text","text":"caf\\u00e9 "},{"type":"image_url","image_url":{"url":"x"}},
            {"type":"text","text":"\\ud83d\\ude00 two"},{"type":"text","text":7},{"type":"input_audio"}]},
          {"role":"assistant","content":null},
          {"role":"user"},
          {"role":"user","content":42},
          {"role":"user","content":{"text":"an object"}}
        ]}""");
    List<String> texts = ChatMessages.texts(request);
    assertEquals(List.of("You are terse.", "caf\u00e9 \ud83d\ude00 two", "", "", "", ""), texts);
    assertEquals(texts.stream().mapToLong(String::length).sum(), ChatMessages.textChars(request));
  }
}
