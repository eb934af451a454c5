package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local servers read many body fields of their own, and a local route forwarded every one it did
 * not know: SGLang's {@code bootstrap_host}/{@code bootstrap_port} (the server connects where the
 * caller says), vLLM's {@code best_of} and {@code use_beam_search} (work past the hold), LM
 * Studio's {@code draft_model}, vLLM's scheduling {@code priority}, llama.cpp's {@code id_slot} and
 * {@code response_fields}... A local route now forwards only the fields on its list and refuses
 * any other by name, nothing sent; a message forwards only the fields Parapet reads.
 */
class LocalFieldAllowlistEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void samplingFieldsReachTheServerUnchanged() throws Exception {
    String sampling = "\"temperature\":0.7,\"top_p\":0.9,\"top_k\":40,\"min_p\":0.05,\"typical_p\":0.95,"
        + "\"repetition_penalty\":1.1,\"repeat_penalty\":1.1,\"repeat_last_n\":64,\"presence_penalty\":0.5,"
        + "\"frequency_penalty\":0.25,\"seed\":7,\"stop\":[\"\\n\\n\"],\"mirostat\":2,\"mirostat_tau\":5.0,"
        + "\"mirostat_eta\":0.1,\"dry_multiplier\":0.8,\"xtc_probability\":0.5,\"logit_bias\":{\"15\":-100}";
    String[][] cases = {
        {sampling},
        // a null of a field off the list is dropped, not forwarded (clients that write every field as null)
        {"\"best_of\":null,\"temperature\":0.1,\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"thinking\":null}]"},
        // an OpenAI answer replayed: its refusal is counted as prompt, so it may go
        {"\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"\","
            + "\"refusal\":\"I can't help with that.\"},{\"role\":\"user\",\"content\":\"ok\"}]"}};
    LocalServerCalls.eachCall(tmp.resolve("data"), 1000, 200, cases, (c, r, server) -> {
      assertEquals(200, r.statusCode(), c[0] + ": " + r.body());
      JsonNode asked = JSON.readTree("{" + c[0] + "}");
      JsonNode sent = JSON.readTree(server.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
      for (var field : asked.properties()) {
        if (field.getValue().isNull()) {
          assertFalse(sent.has(field.getKey()), field.getKey() + " sent " + sent);
        } else if (!field.getKey().equals("messages")) {
          assertEquals(field.getValue(), sent.get(field.getKey()), field.getKey() + " sent " + sent);
        }
      }
      assertFalse(sent.path("messages").path(0).has("thinking"), "sent " + sent);
      for (int i = 0; i < asked.path("messages").size(); i++) {
        for (var field : asked.path("messages").get(i).properties()) {
          if (!field.getValue().isNull()) {
            assertEquals(field.getValue(), sent.path("messages").path(i).get(field.getKey()), "sent " + sent);
          }
        }
      }
    });
  }

  @Test
  void fieldsOffTheListAreRefusedByName() throws Exception {
    // {the field as sent, the name the refusal gives}
    String[][] cases = {
        {"\"bootstrap_host\":\"10.0.0.9\"", "bootstrap_host"},
        {"\"bootstrap_port\":8998", "bootstrap_port"},
        {"\"best_of\":16", "best_of"},
        {"\"use_beam_search\":true", "use_beam_search"},
        {"\"draft_model\":\"qwen2.5-0.5b-instruct\"", "draft_model"},
        {"\"priority\":-100", "priority"},
        {"\"id_slot\":0", "id_slot"},
        {"\"response_fields\":[\"content\"]", "response_fields"},
        {"\"grammar\":\"root ::= x*\"", "grammar"},
        // a server's own answer constraints inside OpenAI's field (vLLM's structural tags)
        {"\"response_format\":{\"type\":\"structural_tag\",\"structures\":[],\"triggers\":[\"<f\"]}",
            "response_format.type"},
        {"\"response_format\":{\"type\":\"grammar\",\"grammar\":\"root ::= x*\"}", "response_format.type"},
        {"\"response_format\":\"json\"", "response_format"},
        {"\"zz_unheard_of\":1", "zz_unheard_of"},
        {"\"we<ird\\\"name\":1", "we?ird?name"},
        // a message's own fields: a chat template reads them (gpt-oss's message.thinking), Ollama an images list
        {"\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"images\":[\"aGk=\"]}]", "messages[0].images"},
        {"\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"ok\","
            + "\"thinking\":\"10.0.0.9\"},{\"role\":\"user\",\"content\":\"go on\"}]", "messages[1].thinking"}};
    LocalServerCalls.eachCall(tmp.resolve("data"), 1000, 200, cases, (c, r, server) -> {
      assertEquals(400, r.statusCode(), c[0] + ": " + r.body());
      JsonNode error = JSON.readTree(r.body()).path("error");
      assertEquals("invalid_request", error.path("code").asText(), r.body());
      String message = error.path("message").asText();
      assertTrue(message.startsWith(c[1] + ": "), c[0] + ": " + message);
      assertFalse(message.contains("10.0.0.9") || message.contains("qwen") || message.contains("<"), message);
      assertEquals(0, server.getRequestCount(), c[0] + ": nothing sent for a refusal");
    });
  }
}
