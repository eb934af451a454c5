package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The echo honours the route's {@code max_tokens_out} (cut with {@code finish_reason: length}),
 * streamed as well as whole. Its stream used to split the text after each space ({@code "a "},
 * {@code "b "}), so the stream guard, which counts each delta on its own near the cap, counted two
 * tokens per word and cut a stream the echo had kept within the cap: {@code stream_truncated}
 * where the same call unstreamed answered 20 tokens with {@code finish_reason: length}.
 */
class EchoStreamCapEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_OUT = 20;

  @TempDir Path tmp;

  @Test
  void aStreamedEchoAtTheCapEndsLikeTheWholeAnswerNotCut() throws Exception {
    SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
        SealedGateway.echo("short", SealedGateway.policy(1000, MAX_OUT, "5", true, RedactionPolicy.OFF)),
        // SealedGateway always seals a provider key: a route must use it.
        SealedGateway.openAi("unused", URI.create("http://127.0.0.1:9/v1"),
            SealedGateway.policy(100, 10, "5", true, RedactionPolicy.OFF), List.of())));
    List<String> prompts = List.of(
        "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d",
        "Hello, world! This is a  test of the echo.\\nNew line: 1234 5678, done; and more words after it, many more.");
    try (Gateway g = sg.start()) {
      for (String prompt : prompts) {
        String messages = "\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]";
        HttpResponse<String> whole = post(g.port(), "/routes/short", "{" + messages + "}");
        assertEquals(200, whole.statusCode(), whole.body());
        JsonNode answer = JSON.readTree(whole.body());
        assertEquals("length", answer.at("/choices/0/finish_reason").asText(), whole.body());
        assertEquals(MAX_OUT, answer.at("/usage/completion_tokens").asInt(), whole.body());

        HttpResponse<String> streamed = post(g.port(), "/routes/short",
            "{\"stream\":true,\"stream_options\":{\"include_usage\":true}," + messages + "}");
        assertEquals(200, streamed.statusCode(), streamed.body());
        assertFalse(streamed.body().contains("stream_truncated"), streamed.body());
        assertTrue(streamed.body().endsWith("data: [DONE]\n\n"), streamed.body());
        StringBuilder text = new StringBuilder();
        String finish = null;
        int completion = -1;
        for (String line : streamed.body().split("\n")) {
          if (!line.startsWith("data: {")) {
            continue;
          }
          JsonNode chunk = JSON.readTree(line.substring(6));
          JsonNode choice = chunk.at("/choices/0");
          text.append(choice.at("/delta/content").asText(""));
          if (choice.hasNonNull("finish_reason")) {
            finish = choice.get("finish_reason").asText();
          }
          if (chunk.hasNonNull("usage")) {
            completion = chunk.at("/usage/completion_tokens").asInt();
          }
        }
        assertEquals(answer.at("/choices/0/message/content").asText(), text.toString(), prompt);
        assertEquals("length", finish, streamed.body());
        assertEquals(MAX_OUT, completion, streamed.body());
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
