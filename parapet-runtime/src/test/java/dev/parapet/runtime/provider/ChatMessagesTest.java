package dev.parapet.runtime.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Optional;
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
          {"role":"assistant","content":[{"type":"refusal","refusal":"I can't."},{"type":"refusal","refusal":3}]},
          {"role":"user"},
          {"role":"user","content":42},
          {"role":"user","content":{"text":"an object"}}
        ]}""");
    List<String> texts = ChatMessages.texts(request);
    assertEquals(List.of("You are terse.", "caf\u00e9 \ud83d\ude00 two", "", "I can't.", "", "", ""), texts);
    assertEquals(texts.stream().mapToLong(String::length).sum(), ChatMessages.textChars(request));
  }

  /**
   * Tool calls an assistant turn made, the tools the request defines and the schema of a
   * structured answer are input the provider bills: they are in the texts (so in max_tokens_in and the budget's worst case), and textChars
   * still measures them exactly.
   */
  @Test
  void toolCallsAndToolDefinitionsAreCountedText() throws Exception {
    JsonNode request = JSON.readTree("""
        {"messages":[
          {"role":"user","content":"weather?"},
          {"role":"assistant","content":null,"tool_calls":[
            {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Oslo\\"}"}},
            {"id":"call_2","type":"function","function":{"name":"get_time","arguments":7}}]},
          {"role":"tool","tool_call_id":"call_1","content":"rain"},
          {"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],
            "function_call":{"name":"legacy","arguments":"{}"}}
        ],
        "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather now",
          "parameters":{"type":"object","properties":{"city":{"type":"string","enum":["Oslo",""]}},"required":["city"]}}}],
        "tool_choice":"auto",
        "response_format":{"type":"json_schema","json_schema":{"name":"forecast","strict":true,
          "schema":{"type":"object","description":"Tomorrow's"}}}}""");
    List<String> texts = ChatMessages.texts(request);
    assertEquals(List.of(
        "weather?",
        "call_1\nget_weather\n{\"city\":\"Oslo\"}\ncall_2\nget_time",
        "rain\ncall_1",
        "ab\nlegacy\n{}",
        "type\nfunction\nfunction\nname\nget_weather\ndescription\nWeather now\nparameters\ntype\nobject\n"
            + "properties\ncity\ntype\nstring\nenum\nOslo\n\"\"\nrequired\ncity\n"
            + "name\nforecast\nstrict\ntrue\nschema\ntype\nobject\ndescription\nTomorrow's"), texts);
    assertEquals(texts.stream().mapToLong(String::length).sum(), ChatMessages.textChars(request));
  }

  /** A Predicted Outputs prediction's text: a string or text parts; nothing for anything else. */
  @Test
  void predictionIsTheTextOfItsContent() throws Exception {
    assertEquals(Optional.of("x = 1"), ChatMessages.prediction(JSON.readTree(
        "{\"prediction\":{\"type\":\"content\",\"content\":\"x = 1\"}}")));
    assertEquals(Optional.of("x = 1\ny = 2"), ChatMessages.prediction(JSON.readTree(
        "{\"prediction\":{\"type\":\"content\",\"content\":[{\"type\":\"text\",\"text\":\"x = 1\\n\"},"
            + "{\"type\":\"text\",\"text\":\"y = 2\"}]}}")));
    for (String none : List.of("{}", "{\"prediction\":null}", "{\"prediction\":\"x\"}", "{\"prediction\":{}}",
        "{\"prediction\":{\"content\":\"\"}}", "{\"prediction\":{\"content\":7}}")) {
      assertEquals(Optional.empty(), ChatMessages.prediction(JSON.readTree(none)), none);
    }
  }

  /** A message's name and a tool answer's tool_call_id are rendered into the prompt: they count. */
  @Test
  void namesAndToolCallIdsAreInTheTexts() throws Exception {
    JsonNode request = JSON.readTree("""
        {"messages":[
          {"role":"user","name":"alice_from_accounts","content":"hi"},
          {"role":"tool","tool_call_id":"call_Xa81","content":"42"},
          {"role":"user","name":7,"content":"bye"}
        ]}""");
    List<String> texts = ChatMessages.texts(request);
    assertEquals(List.of("hi\nalice_from_accounts", "42\ncall_Xa81", "bye"), texts);
    assertEquals(texts.stream().mapToLong(String::length).sum(), ChatMessages.textChars(request));
  }

  @Test
  void aToolCallsIdIsInItsTurnsText() throws Exception {
    JsonNode request = JSON.readTree("""
        {"messages":[
          {"role":"assistant","content":null,"tool_calls":[
            {"id":"call_Xa81","type":"function","function":{"name":"lookup","arguments":"{}"}},
            {"id":7,"type":"function","function":{"name":"f","arguments":"[]"}}]}
        ]}""");
    List<String> texts = ChatMessages.texts(request);
    assertEquals(List.of("call_Xa81\nlookup\n{}\nf\n[]"), texts);
    assertEquals(texts.stream().mapToLong(String::length).sum(), ChatMessages.textChars(request));
  }
}
