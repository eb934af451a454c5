package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * vLLM and SGLang render a chat request's {@code documents} (RAG) and {@code chat_template_kwargs}
 * into the prompt through the model's chat template, and render it with the caller's own {@code
 * chat_template} when the server allows one; and an earlier assistant turn's {@code reasoning}
 * (Ollama) or {@code reasoning_content} (llama.cpp, vLLM) as that turn's thinking. A local route
 * passed them all through uncounted: a caller could put any amount of prompt in {@code documents}
 * past {@code max_tokens_in} and the budget's hold, or write a template that loops. Now {@code documents}, {@code
 * chat_template_kwargs} and a turn's reasoning count as prompt, and {@code chat_template} is
 * refused: the operator's server picks the template.
 */
class LocalTemplateFieldsEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void templateFieldsCountOrAreRefused() throws Exception {
    String many = "word ".repeat(5_000); // ~5,000 tokens, five times max_tokens_in
    String[][] cases = {
        {"\"documents\":[{\"title\":\"t\",\"text\":\"" + many + "\"}]", "400", "max_tokens_in_exceeded"},
        {"\"chat_template_kwargs\":{\"context\":\"" + many + "\"}", "400", "max_tokens_in_exceeded"},
        {"\"chat_template\":\"{% for i in range(100000) %}x{% endfor %}\"", "400", "invalid_request"},
        {"\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"ok\",\"reasoning\":\""
            + many + "\"},{\"role\":\"user\",\"content\":\"go on\"}]", "400", "max_tokens_in_exceeded"},
        {"\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"ok\","
            + "\"reasoning_content\":\"" + many + "\"},{\"role\":\"user\",\"content\":\"go on\"}]", "400", "max_tokens_in_exceeded"},
        {"\"documents\":[{\"title\":\"t\",\"text\":\"short\"}],\"chat_template_kwargs\":{\"enable_thinking\":false}",
            "200", ""}};
    LocalServerCalls.eachCall(tmp.resolve("data"), 1000, 200, cases, (c, r, server) -> {
      String shown = c[0].substring(0, Math.min(60, c[0].length()));
      assertEquals(Integer.parseInt(c[1]), r.statusCode(), shown + ": " + r.body());
      if (!c[2].isEmpty()) {
        assertEquals(c[2], JSON.readTree(r.body()).path("error").path("code").asText(), shown + ": " + r.body());
      }
      assertEquals(c[1].equals("200") ? 1 : 0, server.getRequestCount(), shown + ": only the small call goes up");
    });
  }
}
