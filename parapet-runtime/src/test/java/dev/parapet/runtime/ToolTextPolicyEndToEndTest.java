package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tool definitions, a structured answer's schema and the tool calls of earlier turns are prompt the
 * provider bills: they count
 * against max_tokens_in and the budget's worst case, and a secret in a call's arguments is
 * scrubbed like one in a message (so is one in a Predicted Outputs prediction). Before, a caller could put any amount of text into a tool's
 * description, past both limits.
 */
class ToolTextPolicyEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  /** "hi" from the user, and one tool whose description is {@code words} words long. */
  private static String withTool(int words) throws Exception {
    ObjectNode body = JSON.createObjectNode();
    body.putArray("messages").addObject().put("role", "user").put("content", "hi");
    ObjectNode function = body.putArray("tools").addObject().put("type", "function").putObject("function");
    function.put("name", "lookup").put("description", "word ".repeat(words));
    function.putObject("parameters").put("type", "object");
    return JSON.writeValueAsString(body);
  }

  /**
   * OpenAI renders a message's {@code name} into the prompt. Uncounted, 64 characters of it on each
   * of many short messages passed max_tokens_in by far.
   */
  @Test
  void messageNamesCountAgainstTheLimit() throws Exception {
    ObjectNode named = JSON.createObjectNode();
    ArrayNode messages = named.putArray("messages");
    for (int i = 0; i < 20; i++) { // 20 messages of "hi": ~100 tokens; their names ~20 more each
      messages.addObject().put("role", "user").put("name", "Q7xv_9LmZ2-kPw4Rt8Yb3Nc6Hd1Jf5Gs0Ua" + i).put("content", "hi");
    }
    assertRefusedAtTheLimit(named);
  }

  /**
   * Asserts that {@code body}, on a route of max_tokens_in 200, is refused with 400
   * max_tokens_in_exceeded and nothing is sent.
   */
  private void assertRefusedAtTheLimit(ObjectNode body) throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("limited", provider.url("/v1").uri(),
              SealedGateway.policy(200, 10, "5", true, RedactionPolicy.OFF), List.of())));
      try (Gateway g = sg.start()) {
        HttpResponse<String> r = post(g.port(), "/routes/limited", JSON.writeValueAsString(body));
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("max_tokens_in_exceeded", JSON.readTree(r.body()).path("error").path("code").asText());
        assertEquals(0, provider.getRequestCount(), "nothing was sent");
      }
    }
    LeakWatch.assertNoLeaks();
  }

  /** A tool call's id is the caller's string, of any length: it counts like the rest of the turn. */
  @Test
  void toolCallIdsCountAgainstTheLimit() throws Exception {
    ObjectNode body = JSON.createObjectNode();
    ArrayNode messages = body.putArray("messages");
    messages.addObject().put("role", "user").put("content", "look it up");
    ObjectNode call = messages.addObject().put("role", "assistant").putNull("content").putArray("tool_calls").addObject();
    // ~250 tokens of words where an id belongs; everything else in the body is ~20
    call.put("id", "call " + "the quick brown fox jumps over the lazy dog ".repeat(25)).put("type", "function");
    call.putObject("function").put("name", "lookup").put("arguments", "{}");
    messages.addObject().put("role", "tool").put("tool_call_id", "c1").put("content", "42");
    assertRefusedAtTheLimit(body);
  }

  @Test
  void toolDefinitionsCountAgainstTheLimitAndTheBudget() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      // $1 per 1M tokens both ways: $0.0001 covers 100 tokens of prompt and output together
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          SealedGateway.limitedAndCheap(provider.url("/v1").uri(), 200, 6000, "0.0001"));
      try (Gateway g = sg.start()) {
        HttpResponse<String> big = post(g.port(), "/routes/limited", withTool(1_000));
        assertEquals(400, big.statusCode(), big.body());
        assertEquals("max_tokens_in_exceeded", JSON.readTree(big.body()).path("error").path("code").asText());

        HttpResponse<String> costly = post(g.port(), "/routes/cheap", withTool(150));
        assertEquals(402, costly.statusCode(), costly.body());
        assertEquals("budget_exceeded", JSON.readTree(costly.body()).path("error").path("code").asText());

        // a structured answer's schema is written into the prompt too
        ObjectNode schema = JSON.createObjectNode();
        schema.putArray("messages").addObject().put("role", "user").put("content", "hi");
        schema.putObject("response_format").put("type", "json_schema").putObject("json_schema").put("name", "a")
            .putObject("schema").put("type", "object").put("description", "word ".repeat(1_000));
        HttpResponse<String> bigSchema = post(g.port(), "/routes/limited", JSON.writeValueAsString(schema));
        assertEquals(400, bigSchema.statusCode(), bigSchema.body());
        assertEquals("max_tokens_in_exceeded", JSON.readTree(bigSchema.body()).path("error").path("code").asText());

        provider.enqueue(AnswerPolicyEndToEndTest.json(SealedGateway.MODEL, "ok", "fp_1"));
        assertEquals(200, post(g.port(), "/routes/limited", withTool(20)).statusCode(), "a small tool passes");
        assertEquals(1, provider.getRequestCount(), "nothing was sent for the refused calls");
      }
    }
    LeakWatch.assertNoLeaks();
  }

  /** "pick one" from the user, and one tool whose one parameter's enum is {@code values}. */
  private static String withEnum(ArrayNode values) throws Exception {
    ObjectNode body = JSON.createObjectNode();
    body.put("max_tokens", 10).putArray("messages").addObject().put("role", "user").put("content", "pick one");
    ObjectNode function = body.putArray("tools").addObject().put("type", "function").putObject("function");
    function.put("name", "pick").putObject("parameters").put("type", "object").putObject("properties")
        .putObject("code").put("type", "integer").set("enum", values);
    return JSON.writeValueAsString(body);
  }

  /**
   * Numbers, booleans and nulls in a schema are written into the prompt (OpenAI renders an enum's
   * every value) and billed; only strings and names were counted, so an enum of 30,000 numbers,
   * some 90,000 tokens, passed max_tokens_in 1,000 and a hold priced for a handful.
   */
  @Test
  void numbersBooleansAndNullsInASchemaCountAgainstTheLimitAndTheBudget() throws Exception {
    ArrayNode numbers = JSON.createArrayNode();
    for (int i = 0; i < 30_000; i++) {
      numbers.add(100_000 + i * 7);
    }
    ArrayNode scalars = JSON.createArrayNode();
    for (int i = 0; i < 2_000; i++) {
      scalars.add(true).add(false).addNull().add(1.5);
    }
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      // $1 per 1M tokens both ways: $0.001 covers 1,000 tokens of prompt and output together
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          SealedGateway.limitedAndCheap(provider.url("/v1").uri(), 1000, 200_000, "0.001"));
      try (Gateway g = sg.start()) {
        for (ArrayNode values : List.of(numbers, scalars)) {
          HttpResponse<String> big = post(g.port(), "/routes/limited", withEnum(values));
          assertEquals(400, big.statusCode(), big.body());
          assertEquals("max_tokens_in_exceeded", JSON.readTree(big.body()).path("error").path("code").asText());
          HttpResponse<String> costly = post(g.port(), "/routes/cheap", withEnum(values));
          assertEquals(402, costly.statusCode(), costly.body());
          assertEquals("budget_exceeded", JSON.readTree(costly.body()).path("error").path("code").asText());
        }
        provider.enqueue(AnswerPolicyEndToEndTest.json(SealedGateway.MODEL, "ok", "fp_1"));
        HttpResponse<String> small = post(g.port(), "/routes/limited", withEnum(JSON.createArrayNode().add(1).add(2).add(3)));
        assertEquals(200, small.statusCode(), "a small enum passes: " + small.body());
        assertEquals(1, provider.getRequestCount(), "nothing was sent for the refused calls");
      }
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aSecretInAnEarlierToolCallsArgumentsOrAPredictionIsScrubbedBeforeItLeaves() throws Exception {
    RedactionPolicy warn = new RedactionPolicy(RedactionMode.WARN, List.of(RedactionPattern.EMAIL), false);
    ObjectNode body = JSON.createObjectNode();
    ArrayNode messages = body.putArray("messages");
    messages.addObject().put("role", "user").put("content", "mail the report");
    ObjectNode assistant = messages.addObject().put("role", "assistant");
    assistant.putNull("content");
    assistant.putArray("tool_calls").addObject().put("id", "call_1").put("type", "function")
        .putObject("function").put("name", "send_mail").put("arguments", "{\"to\":\"bob@example.com\"}");
    messages.addObject().put("role", "tool").put("tool_call_id", "call_1").put("content", "sent");
    // Predicted Outputs: the file being edited goes to the provider too; this one is long enough
    // to be scanned off the event loop.
    body.putObject("prediction").put("type", "content")
        .put("content", "const owner = 'carol@example.com';\n" + "// unchanged line\n".repeat(2_000));
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(AnswerPolicyEndToEndTest.json(SealedGateway.MODEL, "done", "fp_1"));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("mail", provider.url("/v1").uri(),
              SealedGateway.policy(6000, 50, "5", true, warn), List.of())));
      try (Gateway g = sg.start()) {
        long offLoop = PolicyThreads.completedTasks();
        HttpResponse<String> r = post(g.port(), "/routes/mail", JSON.writeValueAsString(body));
        // Off the loop: the body's parse (it is large), and, for the prediction's sake, its scan and
        // its encoding for the provider (the prompt alone is short).
        // (A task counts as completed just after it handed its result back: wait a moment for it.)
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (PolicyThreads.completedTasks() - offLoop < 3 && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        assertEquals(3, PolicyThreads.completedTasks() - offLoop, "a long prediction is worked on off the event loop");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("2", r.headers().firstValue("x-parapet-redactions").orElse(""));
      }
      RecordedRequest sent = provider.takeRequest(5, TimeUnit.SECONDS);
      String upstream = sent.getBody().utf8();
      assertFalse(upstream.contains("bob@example.com") || upstream.contains("carol@example.com"),
          upstream.substring(0, 400));
      assertTrue(JSON.readTree(upstream).path("prediction").path("content").asText()
          .startsWith("const owner = '[REDACTED:EMAIL]';"), "the prediction is scrubbed in place");
      JsonNode args = JSON.readTree(JSON.readTree(upstream).path("messages").path(1).path("tool_calls").path(0)
          .path("function").path("arguments").asText());
      assertEquals("[REDACTED:EMAIL]", args.path("to").asText(), "the scrubbed arguments are still JSON");
      assertTrue(upstream.contains("send_mail"), "the function's name is left alone");
    }
    LeakWatch.assertNoLeaks();
  }
}
