package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A route pins one model, but local servers let a request change what answers it: llama.cpp's
 * {@code lora} sets which loaded adapters apply and at what scale, SGLang's {@code lora_path}
 * picks an adapter (another fine-tuned model, answering under the base model's name, so the drift
 * lock cannot see it), and SGLang's {@code custom_logit_processor} is serialized code for the
 * server to run. A local route passed all three through; they are now refused, nothing sent.
 */
class LocalModelSteeringEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void fieldsThatChangeWhatAnswersAreRefused() throws Exception {
    String[][] cases = {
        {"\"lora\":[{\"id\":0,\"scale\":1.0}]", "400"},
        {"\"lora_path\":\"legal-finetune\"", "400"},
        {"\"custom_logit_processor\":\"{\\\"callable\\\":\\\"gASV...\\\"}\"", "400"},
        {"\"lora\":null", "200"}};
    LocalServerCalls.eachCall(tmp.resolve("data"), 1000, 200, cases, (c, r, server) -> {
      assertEquals(Integer.parseInt(c[1]), r.statusCode(), c[0] + ": " + r.body());
      if (r.statusCode() != 200) {
        JsonNode error = JSON.readTree(r.body()).path("error");
        assertEquals("invalid_request", error.path("code").asText(), r.body());
        assertTrue(error.path("message").asText().contains("pins"), r.body());
      }
      assertEquals(c[1].equals("200") ? 1 : 0, server.getRequestCount(), c[0] + ": nothing sent for a refusal");
    });
  }
}
