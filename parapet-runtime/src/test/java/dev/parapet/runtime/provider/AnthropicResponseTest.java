package dev.parapet.runtime.provider;

import static dev.parapet.runtime.provider.TestRoutes.json;
import static dev.parapet.runtime.provider.TestRoutes.route;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AnthropicResponseTest {
  private static final String MODEL = "claude-3-5-sonnet-20241022";
  private final AnthropicAdapter anthropic =
      new AnthropicAdapter(Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC));
  private final Route route = route(ProviderType.ANTHROPIC, "claude-3-5-sonnet-latest", Optional.empty());

  @Test
  void messageBecomesChatCompletion() throws Exception {
    Translated t = anthropic.translateResponse(route, json("{\"id\":\"msg_013Zva\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\"" + MODEL + "\",\"content\":["
        + "{\"type\":\"text\",\"text\":\"Hello\"},{\"type\":\"text\",\"text\":\", world\"}],"
        + "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
        + "\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":200,\"cache_read_input_tokens\":3000,\"output_tokens\":5}}"));
    assertEquals("{\"id\":\"chatcmpl-msg_013Zva\",\"object\":\"chat.completion\",\"created\":1700000000,"
        + "\"model\":\"" + MODEL + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        + "\"content\":\"Hello, world\"},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":3210,\"completion_tokens\":5,\"total_tokens\":3215}}", Json.write(t.body()));
    assertEquals(Optional.of(MODEL), t.reportedModel());
    assertEquals(Optional.of(new Usage(3210, 5)), t.usage());
    assertEquals(Optional.empty(), t.systemFingerprint());
  }

  @Test
  void finishReasonsMap() throws Exception {
    for (String[] c : new String[][] {{"end_turn", "stop"}, {"stop_sequence", "stop"}, {"max_tokens", "length"},
        {"model_context_window_exceeded", "length"}, {"pause_turn", "stop"},
        // tool_use without a call of the caller's tools: only a JSON answer's forced tool stops so
        {"tool_use", "stop"}, {"refusal", "content_filter"}}) {
      Translated t = anthropic.translateResponse(route, json("{\"id\":\"m\",\"model\":\"" + MODEL
          + "\",\"content\":[],\"stop_reason\":\"" + c[0] + "\",\"usage\":{\"input_tokens\":1,\"output_tokens\":0}}"));
      assertEquals(c[1], t.body().at("/choices/0/finish_reason").asText(), c[0]);
      assertEquals("", t.body().at("/choices/0/message/content").asText());
    }
  }

  @Test
  void malformedResponsesAreProtocolErrors() {
    assertThrows(ProviderProtocolException.class, () -> anthropic.translateResponse(route, json("{\"id\":\"m\"}")));
    assertThrows(ProviderProtocolException.class,
        () -> anthropic.translateResponse(route, json("{\"content\":[{\"type\":\"text\",\"text\":3}]}")));
    assertThrows(ProviderProtocolException.class,
        () -> anthropic.translateResponse(route, json("{\"content\":[],\"usage\":{\"input_tokens\":\"1\"}}")));
    assertThrows(ProviderProtocolException.class,
        () -> anthropic.translateResponse(route, json("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}")));
  }

  // Shaped like the example in https://docs.anthropic.com/en/api/messages-streaming
  private static final String STREAM = """
      event: message_start
      data: {"type": "message_start", "message": {"id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "type": "message", "role": "assistant", "content": [], "model": "claude-3-5-sonnet-20241022", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "cache_read_input_tokens": 100, "output_tokens": 1}}}

      event: content_block_start
      data: {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}

      event: ping
      data: {"type": "ping"}

      event: content_block_delta
      data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}

      event: content_block_delta
      data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " w\\u00f6rld\\n"}}

      event: content_block_delta
      data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}}

      event: content_block_stop
      data: {"type": "content_block_stop", "index": 0}

      event: message_delta
      data: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence":null}, "usage": {"output_tokens": 15}}

      event: message_stop
      data: {"type": "message_stop"}

      """;

  private static final String HEAD = "{\"id\":\"chatcmpl-msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY\","
      + "\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"" + MODEL + "\",";

  @Test
  void streamBecomesOpenAiChunks() throws Exception {
    StreamTranslator t = anthropic.newStreamTranslator(route, true);
    List<String> out = run(t, STREAM);
    assertEquals(List.of(
        HEAD + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}",
        HEAD + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}]}",
        HEAD + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" w\u00f6rld\\n\"},\"finish_reason\":null}]}",
        HEAD + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"!\"},\"finish_reason\":null}]}",
        HEAD + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
        HEAD + "\"choices\":[],\"usage\":{\"prompt_tokens\":125,\"completion_tokens\":15,\"total_tokens\":140}}",
        "[DONE]"), out);
    assertTrue(t.finished());
    assertEquals(Optional.of(MODEL), t.reportedModel());
    assertEquals(Optional.of(new Usage(125, 15)), t.usage());
    for (String payload : out) {
      assertFalse(payload.contains("\n"), "single-line payloads");
    }
  }

  @Test
  void streamWithoutUsageRequestOmitsUsageChunkButStillCounts() throws Exception {
    StreamTranslator t = anthropic.newStreamTranslator(route, false);
    List<String> out = run(t, STREAM);
    assertEquals(6, out.size());
    assertEquals("[DONE]", out.get(5));
    assertFalse(out.get(4).contains("usage"));
    assertEquals(Optional.of(new Usage(125, 15)), t.usage());
  }

  @Test
  void maxTokensStopBecomesLength() throws Exception {
    String s = STREAM.replace("\"end_turn\"", "\"max_tokens\"");
    List<String> out = run(anthropic.newStreamTranslator(route, false), s);
    assertEquals(HEAD + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}", out.get(4));
  }

  @Test
  void errorEventsAreTheProvidersErrorsAndGarbageProtocolErrors() throws Exception {
    StreamTranslator t = anthropic.newStreamTranslator(route, false);
    run(t, STREAM.substring(0, STREAM.indexOf("event: content_block_start")));
    assertEquals(Optional.of(new Usage(125, 1)), t.usage());
    ProviderErrorException e = assertThrows(ProviderErrorException.class, () -> run(t,
        "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded sk-ant-x\"}}\n\n"));
    assertEquals("overloaded_error", e.errorType());
    assertFalse(e.getMessage().contains("sk-ant"));
    assertFalse(t.finished());
    assertEquals(Optional.of(new Usage(125, 1)), t.usage(), "what message_start reported stays for the settlement");
    assertEquals("unknown", assertThrows(ProviderErrorException.class, () -> anthropic.newStreamTranslator(route, false)
        .onEvent(SseEvent.data("{\"type\":\"error\",\"error\":{}}"))).errorType());
    // an error event whose data is no JSON object is a broken stream, not a readable error
    ProviderProtocolException broken = assertThrows(ProviderProtocolException.class, () -> run(
        anthropic.newStreamTranslator(route, false), "event: error\ndata: Overloaded\n\n"));
    assertFalse(broken instanceof ProviderErrorException);
    assertThrows(ProviderProtocolException.class, () -> anthropic.newStreamTranslator(route, false)
        .onEvent(SseEvent.data("<html>")));
    assertThrows(ProviderProtocolException.class, () -> anthropic.newStreamTranslator(route, false)
        .onEvent(SseEvent.data("{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}")));
  }

  @Test
  void toolUseBlocksBecomeToolCalls() throws Exception {
    Translated t = anthropic.translateResponse(route, json("{\"id\":\"msg_2\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\"" + MODEL + "\",\"content\":["
        + "{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"s\"},"
        + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"weather\",\"input\":{\"city\":\"Paris\"}},"
        + "{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"clock\",\"input\":{}}],"
        + "\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":10,\"output_tokens\":5}}"));
    assertEquals("{\"id\":\"chatcmpl-msg_2\",\"object\":\"chat.completion\",\"created\":1700000000,"
        + "\"model\":\"" + MODEL + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        + "\"content\":null,\"tool_calls\":["
        + "{\"id\":\"toolu_1\",\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
        + "{\"id\":\"toolu_2\",\"type\":\"function\",\"function\":{\"name\":\"clock\",\"arguments\":\"{}\"}}]},"
        + "\"finish_reason\":\"tool_calls\"}],"
        + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15}}", Json.write(t.body()));
    // with text before the call, the text stays the content
    Translated both = anthropic.translateResponse(route, json("{\"id\":\"m\",\"content\":["
        + "{\"type\":\"text\",\"text\":\"Checking.\"},"
        + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"clock\",\"input\":{}}],\"stop_reason\":\"tool_use\"}"));
    assertEquals("Checking.", both.body().at("/choices/0/message/content").asText());
    assertEquals("toolu_1", both.body().at("/choices/0/message/tool_calls/0/id").asText());
    for (String bad : List.of("{\"type\":\"tool_use\",\"name\":\"f\",\"input\":{}}",
        "{\"type\":\"tool_use\",\"id\":\"t\",\"input\":{}}", "{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":[]}")) {
      assertThrows(ProviderProtocolException.class, () -> anthropic.translateResponse(route,
          json("{\"id\":\"m\",\"content\":[" + bad + "],\"stop_reason\":\"tool_use\"}")), bad);
    }
  }

  /** A JSON answer (response_format) comes back as the forced tool's input: it is the content. */
  @Test
  void theJsonAnswersToolInputIsTheContentWholeAndStreamed() throws Exception {
    Translated t = anthropic.translateResponse(route, json("{\"id\":\"m\",\"model\":\"" + MODEL + "\",\"content\":["
        + "{\"type\":\"tool_use\",\"id\":\"toolu_9\",\"name\":\"parapet_json_answer\",\"input\":{\"city\":\"Paris\",\"c\":18}}],"
        + "\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":1,\"output_tokens\":9}}"));
    assertEquals("{\"role\":\"assistant\",\"content\":\"{\\\"city\\\":\\\"Paris\\\",\\\"c\\\":18}\"}",
        Json.write(t.body().at("/choices/0/message")));
    assertEquals("stop", t.body().at("/choices/0/finish_reason").asText());

    String json = TOOL_STREAM.replace("\"name\":\"weather\"", "\"name\":\"parapet_json_answer\"");
    String stream = json.substring(0, json.indexOf("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2"))
        + "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},"
        + "\"usage\":{\"output_tokens\":9}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    List<StreamChunk> chunks = chunks(anthropic.newStreamTranslator(route, false), stream);
    StringBuilder content = new StringBuilder();
    String finish = null;
    for (StreamChunk c : chunks) {
      assertFalse(c.json().contains("tool_calls"), c.json());
      for (ChunkSummary.Choice choice : c.summary().choices()) {
        content.append(choice.content().orElse(""));
        finish = choice.finished() ? Json.MAPPER.readTree(c.json()).at("/choices/0/finish_reason").asText() : finish;
      }
    }
    assertEquals("Checking.{\"city\": \"Paris\"}", content.toString(), "the text before it, then the JSON as content");
    assertEquals("stop", finish);
  }

  private static final String TOOL_STREAM = """
      event: message_start
      data: {"type":"message_start","message":{"id":"msg_t","type":"message","role":"assistant","model":"%s","content":[],"usage":{"input_tokens":50,"output_tokens":1}}}

      event: content_block_start
      data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking."}}

      event: content_block_stop
      data: {"type":"content_block_stop","index":0}

      event: content_block_start
      data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"weather","input":{}}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\": \\"Pa"}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ris\\"}"}}

      event: content_block_stop
      data: {"type":"content_block_stop","index":1}

      event: content_block_start
      data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_2","name":"clock","input":{}}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{}"}}

      event: content_block_stop
      data: {"type":"content_block_stop","index":2}

      event: message_delta
      data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":40}}

      event: message_stop
      data: {"type":"message_stop"}

      """.formatted(MODEL);

  @Test
  void streamedToolUseBecomesToolCallDeltas() throws Exception {
    StreamTranslator t = anthropic.newStreamTranslator(route, false);
    String head = "{\"id\":\"chatcmpl-msg_t\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
        + "\"model\":\"" + MODEL + "\",\"choices\":[{\"index\":0,\"delta\":";
    List<StreamChunk> chunks = chunks(t, TOOL_STREAM);
    List<String> out = StreamChunks.jsonOf(chunks);
    assertEquals(List.of(
        head + "{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}",
        head + "{\"content\":\"Checking.\"},\"finish_reason\":null}]}",
        head + "{\"tool_calls\":[{\"index\":0,\"id\":\"toolu_1\",\"type\":\"function\","
            + "\"function\":{\"name\":\"weather\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}",
        head + "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\": \\\"Pa\"}}]},\"finish_reason\":null}]}",
        head + "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"ris\\\"}\"}}]},\"finish_reason\":null}]}",
        head + "{\"tool_calls\":[{\"index\":1,\"id\":\"toolu_2\",\"type\":\"function\","
            + "\"function\":{\"name\":\"clock\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}",
        head + "{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{}\"}}]},\"finish_reason\":null}]}",
        head + "{},\"finish_reason\":\"tool_calls\"}]}",
        "[DONE]"), out);
    // what the stream guard reads: each call's name and arguments are billed output, scanned and counted like text
    StringBuilder billed = new StringBuilder();
    chunks.forEach(c -> c.summary().choices().forEach(ch -> billed.append(ch.otherText())));
    assertEquals("weather{\"city\": \"Paris\"}clock{}", billed.toString());
    assertEquals(Optional.of(new Usage(50, 40)), t.usage());
  }

  /**
   * The JSON answer's forced tool streams its input as content; its name, which the model wrote and
   * Anthropic bills, never reaches the caller: a hidden chunk, counted and not sent.
   */
  @Test
  void theJsonAnswersToolNameIsCountedNotSent() throws Exception {
    String stream = TOOL_STREAM.replace("\"name\":\"weather\"", "\"name\":\"" + AnthropicTools.JSON_TOOL + "\"");
    List<StreamChunk> chunks = chunks(anthropic.newStreamTranslator(route, false), stream);
    StringBuilder hidden = new StringBuilder();
    chunks.forEach(c -> c.summary().choices().forEach(ch -> hidden.append(ch.hiddenText())));
    assertEquals(AnthropicTools.JSON_TOOL, hidden.toString());
    for (String json : StreamChunks.jsonOf(chunks)) {
      assertFalse(json.contains(AnthropicTools.JSON_TOOL), json);
    }
  }

  @Test
  void malformedToolUseEventsAreProtocolErrors() throws Exception {
    String start = TOOL_STREAM.substring(0, TOOL_STREAM.indexOf("event: content_block_start"));
    for (String bad : List.of(
        // a delta for a block never started as tool_use
        "{\"type\":\"content_block_delta\",\"index\":5,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}",
        "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"name\":\"f\"}}",
        "{\"type\":\"content_block_start\",\"index\":-1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\"}}",
        "{\"type\":\"content_block_start\",\"index\":99999,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\"}}")) {
      StreamTranslator t = anthropic.newStreamTranslator(route, false);
      run(t, start);
      assertThrows(ProviderProtocolException.class, () -> t.onEvent(SseEvent.data(bad)), bad);
    }
    StreamTranslator twice = anthropic.newStreamTranslator(route, false);
    run(twice, start);
    String open = "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\"}}";
    twice.onEvent(SseEvent.data(open));
    assertThrows(ProviderProtocolException.class, () -> twice.onEvent(SseEvent.data(open)));
    assertThrows(ProviderProtocolException.class, () -> twice.onEvent(SseEvent.data(
        "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\"}}")));
  }

  @Test
  void unknownEventsAndNonTextDeltasAreIgnored() throws Exception {
    StreamTranslator t = anthropic.newStreamTranslator(route, false);
    run(t, STREAM.substring(0, STREAM.indexOf("event: content_block_start")));
    assertEquals(List.of(), t.onEvent(SseEvent.data("{\"type\":\"some_future_event\"}")));
    assertEquals(List.of(), t.onEvent(SseEvent.data(
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQB\"}}")));
    assertEquals(List.of(), t.onEvent(SseEvent.data(
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"citations_delta\",\"citation\":{}}}")));
  }

  /** Thinking is billed output the caller does not get: a hidden chunk the guard counts, nothing sent. */
  @Test
  void thinkingDeltasAreHiddenChunks() throws Exception {
    StreamTranslator t = anthropic.newStreamTranslator(route, false);
    run(t, STREAM.substring(0, STREAM.indexOf("event: content_block_start")));
    List<StreamChunk> thinking = t.onEvent(SseEvent.data(
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm, mail bob\"}}"));
    assertEquals(1, thinking.size());
    assertTrue(thinking.get(0).isHidden());
    assertEquals("", thinking.get(0).json());
    assertEquals(List.of(new ChunkSummary.Choice(0, Optional.empty(), false, "", "hmm, mail bob")),
        thinking.get(0).summary().choices());
    assertEquals(List.of(), t.onEvent(SseEvent.data(
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"\"}}")));
    assertThrows(ProviderProtocolException.class, () -> t.onEvent(SseEvent.data(
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\"}}")));
  }

  private static List<String> run(StreamTranslator t, String wire) throws ProviderProtocolException {
    return StreamChunks.jsonOf(chunks(t, wire));
  }

  private static List<StreamChunk> chunks(StreamTranslator t, String wire) throws ProviderProtocolException {
    SseParser parser = new SseParser();
    ByteBuf in = Unpooled.copiedBuffer(wire, StandardCharsets.UTF_8);
    List<StreamChunk> out = new ArrayList<>();
    try {
      for (SseEvent e : parser.feed(in)) {
        out.addAll(t.onEvent(e));
      }
    } finally {
      in.release();
    }
    return out;
  }
}
