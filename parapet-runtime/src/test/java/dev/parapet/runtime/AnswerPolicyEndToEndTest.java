package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.chat;
import static dev.parapet.runtime.SealedGateway.completion;
import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.store.EventRow;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The answer-side policies over real sockets: the drift lock (strict and not, whole and streamed),
 * fingerprint changes, and the stream guard cutting on max_tokens_out and on an output pattern,
 * each with the cost the budget settled ($1 per million tokens both ways: 1000 nano-USD a token).
 */
class AnswerPolicyEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OTHER = "gpt-4o-2024-11-20";
  private static final String EMAIL = "bob@example.com";
  private static final TokenCounter COUNTER = TokenCounter.forModel(ProviderType.OPENAI, SealedGateway.MODEL);
  private static final int PROMPT = COUNTER.countMessages(List.of("hi"));

  @TempDir Path tmp;

  static String chunk(String model, String fingerprint, String content) {
    return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model
        + "\",\"system_fingerprint\":\"" + fingerprint + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
        + content + "\"},\"finish_reason\":null}]}\n\n";
  }

  static MockResponse sse(String model, List<String> deltas) {
    StringBuilder body = new StringBuilder();
    for (String d : deltas) {
      body.append(chunk(model, "fp_1", d));
    }
    body.append("data: [DONE]\n\n");
    return new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(body.toString(), 40).build();
  }

  static MockResponse json(String model, String content, String fingerprint) {
    String body = completion(model, content, 10, 5);
    body = body.replace("\"created\":1,", "\"created\":1,\"system_fingerprint\":\"" + fingerprint + "\",");
    return new MockResponse.Builder().addHeader("Content-Type", "application/json").body(body).build();
  }

  private static String streamChat() {
    return "{\"stream\":true,\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  private SealedGateway gateway(URI base) {
    RedactionPolicy scan = new RedactionPolicy(RedactionMode.WARN, List.of(RedactionPattern.EMAIL), true);
    RedactionPolicy scanBlock = new RedactionPolicy(RedactionMode.BLOCK, List.of(RedactionPattern.EMAIL), true);
    List<Route> routes = List.of(
        SealedGateway.openAi("strict", base, SealedGateway.policy(6000, 50, "5", true, RedactionPolicy.OFF), List.of()),
        SealedGateway.openAi("allowed", base, SealedGateway.policy(6000, 50, "5", true, RedactionPolicy.OFF), List.of(OTHER)),
        SealedGateway.openAi("loose", base, SealedGateway.policy(6000, 50, "5", false, RedactionPolicy.OFF), List.of()),
        SealedGateway.openAi("short", base, SealedGateway.policy(6000, 5, "5", true, RedactionPolicy.OFF), List.of()),
        SealedGateway.openAi("scan", base, SealedGateway.policy(6000, 500, "5", true, scan), List.of()),
        SealedGateway.openAi("scanblock", base, SealedGateway.policy(6000, 500, "5", true, scanBlock), List.of()));
    return new SealedGateway(tmp.resolve("data"), Optional.empty(), routes);
  }

  private static List<EventRow> events(SealedGateway sg, EventKind kind) throws Exception {
    List<List<EventRow>> out = new ArrayList<>();
    sg.withStore(store -> out.add(store.events(Optional.empty(), Optional.of(kind), 50)));
    return out.get(0);
  }

  @Test
  void strictDriftRefusesWholeAndStreamedAnswersAndStillSettles() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        provider.enqueue(json(OTHER, "drifted", "fp_1"));
        HttpResponse<String> whole = post(g.port(), "/routes/strict", chat("hi", 10));
        assertEquals(502, whole.statusCode());
        assertEquals("model_drift", JSON.readTree(whole.body()).path("error").path("code").asText());
        assertFalse(whole.body().contains("drifted"));

        provider.enqueue(sse(OTHER, List.of("a", "b")));
        HttpResponse<String> streamed = post(g.port(), "/routes/strict", streamChat());
        assertEquals(502, streamed.statusCode(), streamed.body());
        assertEquals("model_drift", JSON.readTree(streamed.body()).path("error").path("code").asText());

        provider.enqueue(json(OTHER, "fine", "fp_1"));
        assertEquals(200, post(g.port(), "/routes/allowed", chat("hi", 10)).statusCode());
      }
      // whole: the reported usage (10 + 5); streamed: no usage yet, the counted prompt.
      assertEquals(15_000 + PROMPT * 1000L, SealedGateway.route(sg.spendToday(), "strict"));
      assertEquals(2, events(sg, EventKind.MODEL_DRIFT).size());
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void looseDriftForwardsAndRecordsAndFingerprintChangesAreEvents() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        provider.enqueue(json(OTHER, "fine", "fp_1"));
        assertEquals(200, post(g.port(), "/routes/loose", chat("hi", 10)).statusCode());
        provider.enqueue(sse(OTHER, List.of("a", "b")));
        HttpResponse<String> streamed = post(g.port(), "/routes/loose", streamChat());
        assertEquals(200, streamed.statusCode());
        assertTrue(streamed.body().endsWith("data: [DONE]\n\n"));
        provider.enqueue(json(SealedGateway.MODEL, "fine", "fp_2"));
        assertEquals(200, post(g.port(), "/routes/loose", chat("hi", 10)).statusCode());
      }
      List<EventRow> drift = events(sg, EventKind.MODEL_DRIFT);
      assertEquals(2, drift.size());
      assertTrue(drift.get(0).toString().contains(OTHER), drift.get(0).toString());
      assertEquals(1, events(sg, EventKind.FINGERPRINT_CHANGED).size());
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void maxTokensOutCutsTheStreamAndSettlesWhatWasSeen() throws Exception {
    List<String> deltas = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      deltas.add(" tok" + i);
    }
    long seen = 0;
    for (String d : deltas) {
      seen += COUNTER.count(d);
      if (seen > 5) {
        break;
      }
    }
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        provider.enqueue(sse(SealedGateway.MODEL, deltas));
        HttpResponse<String> r = post(g.port(), "/routes/short", streamChat());
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("\"code\":\"stream_truncated\""), r.body());
        assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
        assertFalse(r.body().contains("tok19"), r.body());
      }
      assertEquals((PROMPT + seen) * 1000L, SealedGateway.route(sg.spendToday(), "short"));
      List<EventRow> cut = events(sg, EventKind.STREAM_TRUNCATED);
      assertEquals(1, cut.size());
      assertTrue(cut.get(0).toString().contains("max_tokens_out"));
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void anOutputPatternSplitAcrossChunksCutsTheStreamAndSettlesWhatWasSeen() throws Exception {
    List<String> deltas = List.of("write ", "to ", "bob", "@exa", "mple.com", " today", " please", " thanks");
    // Far below max_tokens_out the guard counts the deltas it relayed together, as the provider
    // counts its output: the text of the five deltas seen, as one.
    long seen = COUNTER.count(String.join("", deltas.subList(0, 5)));
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        provider.enqueue(sse(SealedGateway.MODEL, deltas));
        HttpResponse<String> r = post(g.port(), "/routes/scan", streamChat());
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("\"code\":\"stream_truncated\""), r.body());
        assertTrue(r.body().contains("EMAIL"), r.body());
        assertFalse(r.body().contains("mple.com"), r.body());
        assertFalse(r.body().contains("today"), r.body());
        assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
      }
      assertEquals((PROMPT + seen) * 1000L, SealedGateway.route(sg.spendToday(), "scan"));
      List<EventRow> cut = events(sg, EventKind.STREAM_TRUNCATED);
      assertEquals(1, cut.size());
      assertFalse(cut.get(0).toString().contains(EMAIL));
    }
    LeakWatch.assertNoLeaks();
  }

  /** One streamed tool-call delta: the arguments' next piece of call {@code index}. */
  static String toolChunk(int index, String id, String arguments) {
    String call = "{\"index\":" + index + (id == null ? "" : ",\"id\":\"" + id + "\",\"type\":\"function\"")
        + ",\"function\":{" + (id == null ? "" : "\"name\":\"send_mail\",") + "\"arguments\":"
        + JSON.valueToTree(arguments) + "}}";
    return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + SealedGateway.MODEL
        + "\",\"system_fingerprint\":\"fp_1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[" + call
        + "]},\"finish_reason\":null}]}\n\n";
  }

  /**
   * An address the model puts into a tool call's arguments reaches the caller as surely as one in
   * its text: under scan_output it cuts the stream like one in the text, also split across deltas.
   * The arguments are billed output too, as is the call's name: a stream without usage is charged for them.
   */
  @Test
  void toolCallArgumentsAreScannedAndCountedLikeText() throws Exception {
    List<String> pieces = List.of("{\"to\":\"", "bob", "@exa", "mple.com", "\",\"body\":\"the quarterly report\"}");
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      StringBuilder cut = new StringBuilder();
      StringBuilder clean = new StringBuilder();
      for (int i = 0; i < pieces.size(); i++) {
        cut.append(toolChunk(0, i == 0 ? "call_1" : null, pieces.get(i)));
      }
      String args = "{\"to\":\"the finance team\",\"body\":\"the quarterly report, with the figures attached\"}";
      clean.append(toolChunk(0, "call_2", args.substring(0, 20))).append(toolChunk(0, null, args.substring(20)));
      // No usage in either stream (a local server that ignores include_usage): the count is the bill.
      cut.append("data: [DONE]\n\n");
      clean.append("data: [DONE]\n\n");
      try (Gateway g = sg.start()) {
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream")
            .chunkedBody(cut.toString(), 64).build());
        HttpResponse<String> r = post(g.port(), "/routes/scan", streamChat());
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("\"code\":\"stream_truncated\""), r.body());
        assertFalse(r.body().contains("mple.com"), r.body());
        assertFalse(r.body().contains("quarterly"), r.body());

        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream")
            .chunkedBody(clean.toString(), 64).build());
        HttpResponse<String> ok = post(g.port(), "/routes/loose", streamChat());
        assertEquals(200, ok.statusCode());
        assertTrue(ok.body().contains("quarterly") && ok.body().endsWith("data: [DONE]\n\n"), ok.body());
      }
      // The call's name is billed output too, streamed once in its first delta: counted with the arguments.
      long seen = COUNTER.count("send_mail" + String.join("", pieces.subList(0, 4)));
      assertEquals((PROMPT + seen) * 1000L, SealedGateway.route(sg.spendToday(), "scan"));
      assertEquals((PROMPT + COUNTER.count("send_mail" + args)) * 1000L, SealedGateway.route(sg.spendToday(), "loose"));
      List<EventRow> truncated = events(sg, EventKind.STREAM_TRUNCATED);
      assertEquals(1, truncated.size());
      assertTrue(truncated.get(0).toString().contains("EMAIL"), truncated.get(0).toString());
    }
    LeakWatch.assertNoLeaks();
  }

  /** A whole answer's tool-call arguments: scrubbed in warn, refused in block, counted with the call's name without usage. */
  @Test
  void wholeAnswersToolCallArgumentsAreScrubbedOrRefusedAndCounted() throws Exception {
    String args = "{\"to\":\"" + EMAIL + "\",\"subject\":\"report\"}";
    ObjectNode answer = (ObjectNode) JSON.readTree(completion(SealedGateway.MODEL, "x", 1, 1));
    answer.remove("usage");
    ObjectNode message = (ObjectNode) answer.path("choices").path(0).path("message");
    message.putNull("content");
    message.putArray("tool_calls").addObject().put("id", "call_1").put("type", "function")
        .putObject("function").put("name", "send_mail").put("arguments", args);
    ((ObjectNode) answer.path("choices").path(0)).put("finish_reason", "tool_calls");
    String body = JSON.writeValueAsString(answer);
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(body).build());
        HttpResponse<String> warn = post(g.port(), "/routes/scan", chat("hi", 10));
        assertEquals(200, warn.statusCode(), warn.body());
        JsonNode function = JSON.readTree(warn.body()).path("choices").path(0).path("message").path("tool_calls").path(0)
            .path("function");
        assertEquals(args.replace(EMAIL, "[REDACTED:EMAIL]"), function.path("arguments").asText());
        assertEquals("report", JSON.readTree(function.path("arguments").asText()).path("subject").asText(),
            "the scrubbed arguments are still JSON");
        assertFalse(warn.body().contains(EMAIL), warn.body());

        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(body).build());
        HttpResponse<String> block = post(g.port(), "/routes/scanblock", chat("hi", 10));
        assertEquals(422, block.statusCode());
        assertFalse(block.body().contains(EMAIL));
      }
      long output = COUNTER.count("send_mail") + COUNTER.count(args); // the call's name is billed output too
      assertEquals((PROMPT + output) * 1000L, SealedGateway.route(sg.spendToday(), "scan"));
      assertEquals((PROMPT + output) * 1000L, SealedGateway.route(sg.spendToday(), "scanblock"));
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void wholeAnswersUnderScanOutputAreScrubbedInWarnAndRefusedInBlock() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        provider.enqueue(json(SealedGateway.MODEL, "mail " + EMAIL, "fp_1"));
        HttpResponse<String> warn = post(g.port(), "/routes/scan", chat("hi", 10));
        assertEquals(200, warn.statusCode());
        JsonNode content = JSON.readTree(warn.body()).path("choices").path(0).path("message").path("content");
        assertEquals("mail [REDACTED:EMAIL]", content.asText());
        assertFalse(warn.body().contains(EMAIL), warn.body());

        provider.enqueue(json(SealedGateway.MODEL, "mail " + EMAIL, "fp_1"));
        HttpResponse<String> block = post(g.port(), "/routes/scanblock", chat("hi", 10));
        assertEquals(422, block.statusCode());
        assertFalse(block.body().contains(EMAIL));
      }
      // the provider charged both: the reported usage is settled either way
      assertEquals(15_000L, SealedGateway.route(sg.spendToday(), "scanblock"));
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * An answer past the policy threads' threshold, without usage (a local model's, say): scanned,
   * scrubbed and counted off the event loop, with the outcome an answer read on the loop gets —
   * scrubbed or refused, the event with counts only, and the charge on the text as the provider
   * sent it, counted exactly.
   */
  @Test
  void aLargeWholeAnswerWithoutUsageIsScrubbedOrRefusedAndChargedOnItsCountedText() throws Exception {
    String text = "Write to " + EMAIL + " about the report. " + "The quarter went well. ".repeat(1_000);
    assertTrue(text.length() > PolicyThreads.THRESHOLD);
    String noUsage = completion(SealedGateway.MODEL, text, 1, 1).replaceAll(",\"usage\":\\{[^}]*\\}", "");
    assertFalse(noUsage.contains("usage"), noUsage.substring(noUsage.length() - 80));
    long output = COUNTER.count(text);
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(noUsage).build());
        HttpResponse<String> warn = post(g.port(), "/routes/scan", chat("hi", 10));
        assertEquals(200, warn.statusCode());
        assertEquals(text.replace(EMAIL, "[REDACTED:EMAIL]"),
            JSON.readTree(warn.body()).path("choices").path(0).path("message").path("content").asText());

        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(noUsage).build());
        HttpResponse<String> block = post(g.port(), "/routes/scanblock", chat("hi", 10));
        assertEquals(422, block.statusCode());
        assertEquals("redaction_blocked", JSON.readTree(block.body()).path("error").path("code").asText());
        assertFalse(block.body().contains(EMAIL));
      }
      assertEquals((PROMPT + output) * 1000L, SealedGateway.route(sg.spendToday(), "scan"));
      assertEquals((PROMPT + output) * 1000L, SealedGateway.route(sg.spendToday(), "scanblock"));
      List<EventRow> redacted = events(sg, EventKind.REDACTED);
      assertEquals(1, redacted.size());
      assertTrue(redacted.get(0).toString().contains("EMAIL"), redacted.get(0).toString());
      assertFalse(redacted.get(0).toString().contains(EMAIL));
      assertEquals(1, events(sg, EventKind.REDACTION_BLOCKED).size());
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aCleanWholeAnswerUnderScanOutputArrivesAsTheProviderSentIt() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        // Not Jackson's own spelling (spaces, an escape): a re-serialization would change the bytes.
        String sent = completion(SealedGateway.MODEL, "clean \\u00e9t\u00e9", 10, 5)
            .replace(",", ", ").replace("{", "{ ") + "\n";
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(sent).build());
        HttpResponse<String> res = post(g.port(), "/routes/scan", chat("hi", 10));
        assertEquals(200, res.statusCode());
        assertEquals(sent, res.body());
      }
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * Log probabilities repeat the answer token by token: on a route that scans answers they would
   * take a match past the scan, so they are refused there before anything is sent, and pass where
   * answers are not scanned. (An audio answer is refused on every route: UnreadablePartsEndToEndTest.)
   */
  @Test
  void answersThatWouldCarryTextPastTheScanAreRefusedWhereAnswersAreScanned() throws Exception {
    String ask = "{\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],%s}";
    // n_probs: llama.cpp's own logprobs knob, which its server reads before logprobs (OpenAI-shape logprobs)
    List<String> unscannable = List.of("\"logprobs\":true", "\"logprobs\":true,\"top_logprobs\":3", "\"top_logprobs\":0",
        "\"n_probs\":5", "\"logprobs\":false,\"n_probs\":1");
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        for (String route : List.of("scan", "scanblock")) {
          for (String extra : unscannable) {
            HttpResponse<String> r = post(g.port(), "/routes/" + route, ask.formatted(extra));
            assertEquals(400, r.statusCode(), route + " " + extra + ": " + r.body());
            JsonNode error = JSON.readTree(r.body()).path("error");
            assertEquals("invalid_request", error.path("code").asText());
            assertTrue(error.path("message").asText().contains("scan_output"), r.body());
          }
        }
        assertEquals(0, provider.getRequestCount(), "nothing was sent for the refused calls");
        provider.enqueue(json(SealedGateway.MODEL, "ok", "fp_1"));
        provider.enqueue(json(SealedGateway.MODEL, "ok", "fp_1"));
        assertEquals(200, post(g.port(), "/routes/loose", ask.formatted(unscannable.get(1))).statusCode());
        assertEquals(200, post(g.port(), "/routes/scan", ask.formatted("\"logprobs\":false")).statusCode(),
            "logprobs: false asks for nothing");
        assertEquals(2, provider.getRequestCount());
      }
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void strictDriftOnAnAnthropicStreamIsDecidedOnMessageStart() throws Exception {
    String pinned = "claude-sonnet-4-20250514";
    String sse = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\"claude-other-20250101\",\"content\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
        + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
        + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"leak\"}}\n\n"
        + "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":2}}\n\n"
        + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").body(sse).build());
      Route claude = new Route("claude", "prod", new dev.parapet.core.config.ProviderSpec(ProviderType.ANTHROPIC, pinned,
          Optional.of("OPENAI_KEY"), Optional.of(provider.url("/v1").uri()), List.of(),
          Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
          SealedGateway.policy(6000, 50, "5", true, RedactionPolicy.OFF));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(claude));
      try (Gateway g = sg.start()) {
        HttpResponse<String> r = post(g.port(), "/routes/claude", streamChat());
        assertEquals(502, r.statusCode(), r.body());
        assertEquals("model_drift", JSON.readTree(r.body()).path("error").path("code").asText());
        assertFalse(r.body().contains("leak"));
      }
      long prompt = Math.max(5, TokenCounter.forModel(ProviderType.ANTHROPIC, pinned).countMessages(List.of("hi")));
      long spend = SealedGateway.route(sg.spendToday(), "claude");
      assertTrue(spend >= prompt * 1000 && spend <= (prompt + 1) * 1000, "charged " + spend);
    }
    LeakWatch.assertNoLeaks();
  }
}
