package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama.cpp's server reads its own {@code n_cmpl} before {@code n}, on its OpenAI chat endpoint
 * too, and answers that many choices, each up to the cap. A local route passed it through unread
 * and held one choice: {@code n_cmpl: 8} was held an eighth of what it could cost. It now counts as
 * the choice count (the larger of the two, each 1..128), as {@code n} does.
 */
class LocalChoiceCountEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void llamaCppsOwnChoiceCountIsHeldFor() throws Exception {
    // $0.01 at $1 per million tokens: 10,000 tokens; one choice of 2,000 fits, eight do not
    String[][] cases = {
        {"\"n_cmpl\":8", "402", "budget_exceeded"},
        {"\"n\":1,\"n_cmpl\":8", "402", "budget_exceeded"},
        {"\"n\":8", "402", "budget_exceeded"},
        {"\"n_cmpl\":0", "400", "invalid_request"},
        {"\"n_cmpl\":1", "200", ""}};
    LocalServerCalls.eachCall(tmp.resolve("data"), 1000, 2000, "0.01", cases, (c, r, server) -> {
      assertEquals(Integer.parseInt(c[1]), r.statusCode(), c[0] + ": " + r.body());
      if (!c[2].isEmpty()) {
        assertEquals(c[2], JSON.readTree(r.body()).path("error").path("code").asText(), c[0] + ": " + r.body());
      }
      assertEquals(c[1].equals("200") ? 1 : 0, server.getRequestCount(), c[0] + ": nothing sent for a refusal");
    });
  }
}
