package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local route used to cap {@code max_tokens} and {@code max_completion_tokens} apart and send
 * them as given, while the hold priced the smaller. Ollama and LM Studio read {@code max_tokens}
 * only: a caller sending {@code max_completion_tokens: 1} alone was held one token and got an
 * answer without any cap, and one sending {@code max_completion_tokens: 1, max_tokens: 2000} was
 * held one token for 2,000. Now the server is sent the one cap the hold priced, in both fields.
 */
class LocalOutputCapEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void aLocalServerIsSentTheOneCapTheHoldPriced() throws Exception {
    // {the caller's cap fields, max_tokens sent, max_completion_tokens sent or -1 for none}
    String[][] cases = {
        {"\"max_completion_tokens\":1", "1", "1"},
        {"\"max_completion_tokens\":1,\"max_tokens\":2000", "1", "1"},
        {"\"max_tokens\":3,\"max_completion_tokens\":1500", "3", "3"},
        {"\"max_tokens\":9000,\"max_completion_tokens\":99999999999", "2000", "2000"},
        {"\"max_tokens\":7", "7", "-1"},
        {"\"max_completion_tokens\":null", "2000", "-1"}};
    LocalServerCalls.eachCall(tmp.resolve("data"), 6000, 2000, cases, (c, r, provider) -> {
      assertEquals(200, r.statusCode(), c[0] + ": " + r.body());
      JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
      assertEquals(Integer.parseInt(c[1]), sent.path("max_tokens").asInt(-1), c[0] + " sent " + sent);
      if (c[2].equals("-1")) {
        assertFalse(sent.has("max_completion_tokens"), c[0] + " sent " + sent);
      } else {
        assertEquals(Integer.parseInt(c[2]), sent.path("max_completion_tokens").asInt(-1), c[0] + " sent " + sent);
      }
    });
  }

  /**
   * llama.cpp's server reads its own {@code n_predict} before {@code max_tokens}, on its OpenAI
   * chat endpoint too: passed through, a caller's {@code n_predict: 100000} beside {@code
   * max_tokens: 10} was held ten tokens and answered up to 100,000. It is now one of the caps: the
   * smallest is sent in every field the caller gave and in {@code max_tokens}.
   */
  @Test
  void llamaCppsOwnCapIsCappedToo() throws Exception {
    // {the caller's cap fields, status, max_tokens sent, n_predict sent}
    String[][] cases = {
        {"\"n_predict\":100000,\"max_tokens\":10", "200", "10", "10"},
        {"\"n_predict\":100000", "200", "2000", "2000"},
        {"\"n_predict\":5,\"max_completion_tokens\":1500", "200", "5", "5"},
        {"\"n_predict\":-1", "400", "", ""}};
    LocalServerCalls.eachCall(tmp.resolve("data"), 6000, 2000, cases, (c, r, provider) -> {
      assertEquals(Integer.parseInt(c[1]), r.statusCode(), c[0] + ": " + r.body());
      if (r.statusCode() != 200) {
        assertEquals("invalid_request", JSON.readTree(r.body()).path("error").path("code").asText(), r.body());
        assertEquals(3, provider.getRequestCount(), "refused, nothing sent");
        return;
      }
      JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
      assertEquals(Integer.parseInt(c[2]), sent.path("max_tokens").asInt(-1), c[0] + " sent " + sent);
      assertEquals(Integer.parseInt(c[3]), sent.path("n_predict").asInt(-1), c[0] + " sent " + sent);
    });
  }
}
