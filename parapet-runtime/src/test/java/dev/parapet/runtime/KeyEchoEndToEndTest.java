package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.store.RequestRecord;
import dev.parapet.runtime.testing.AllLogs;
import dev.parapet.runtime.testing.AnthropicSse;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A provider that answers 200 and quotes the route's key in it — a local server or a debugging
 * proxy that echoes the request's {@code Authorization}, an upstream that quotes it — does not hand
 * the key to the caller: a whole answer (OpenAI bytes passed through, an Anthropic answer
 * translated) and every streamed event go out with the key masked as {@code [REDACTED]}, however
 * the provider's JSON spelled it (plain, {@code \/}, {@code \u002B}, {@code \u0073}), in content
 * and in a tool call's arguments; each stays valid JSON. The key is in no log line, row or event;
 * a log line by route and request id says it happened. An answer without the key is sent as the
 * provider's very bytes.
 */
class KeyEchoEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CLAUDE = "claude-sonnet-4-20250514";
  /** A second route key, with the characters JSON writers like to escape. */
  private static final String SLASH_KEY = "sk-echo/key+plus-2718";
  private static final String SLASH_KEY_ESCAPED = "sk-echo\\/key\\u002Bplus-2718";
  private static final String OAI_KEY_ESCAPED = "\\u0073k-test-provider-key-31337";
  private static final List<String> KEYS = List.of(SealedGateway.PROVIDER_KEY, SLASH_KEY);
  private static final String ASK = "{\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String ASK_STREAM = "{\"stream\":true," + ASK.substring(1);

  @TempDir Path tmp;

  private SealedGateway gateway(URI base) {
    var policy = SealedGateway.policy(6000, 1000, "5", false, RedactionPolicy.OFF);
    Route oai = SealedGateway.openAi("oai", base, policy, List.of());
    Route slash = new Route("slash", "prod", new ProviderSpec(ProviderType.OPENAI, SealedGateway.MODEL,
        Optional.of("ECHO_KEY"), Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000), policy);
    Route ant = new Route("ant", "prod", new ProviderSpec(ProviderType.ANTHROPIC, CLAUDE, Optional.of("ECHO_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000), policy);
    return new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(oai, slash, ant), Map.of("ECHO_KEY", SLASH_KEY));
  }

  private static MockResponse json(String body) {
    return new MockResponse.Builder().addHeader("Content-Type", "application/json").body(body).build();
  }

  private static MockResponse sse(String body) {
    return new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(body, 64).build();
  }

  private static String completion(String message) {
    return "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + SealedGateway.MODEL + "\","
        + "\"choices\":[{\"index\":0,\"message\":" + message + ",\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3,\"total_tokens\":8}}";
  }

  private static String anthropicMessage(String text) {
    return "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + CLAUDE + "\","
        + "\"content\":[{\"type\":\"text\",\"text\":\"" + text + "\"}],\"stop_reason\":\"end_turn\","
        + "\"usage\":{\"input_tokens\":5,\"output_tokens\":2}}";
  }

  private static String anthropicStream(String text) throws Exception {
    return AnthropicSse.event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"content\":[],\"model\":\"" + CLAUDE + "\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}")
        + AnthropicSse.event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
        + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
        + AnthropicSse.delta(0, "text_delta", "text", "key ")
        + AnthropicSse.delta(0, "text_delta", "text", text)
        + AnthropicSse.event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
        + AnthropicSse.event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
        + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":3}}")
        + AnthropicSse.event("message_stop", "{\"type\":\"message_stop\"}");
  }

  /** One provider answer quoting a key, the route it comes on, and what the caller must read of it. */
  private record Echo(String route, boolean stream, MockResponse answer, String readAs) {}

  static List<Arguments> echoes() throws Exception {
    String big = "x".repeat(20_000); // past 16 KiB: read, checked and masked on a policy thread
    return List.of(
        Arguments.of("openai whole, plain and \\u0073", new Echo("oai", false, json(completion("{\"role\":\"assistant\","
            + "\"content\":\"you sent " + SealedGateway.PROVIDER_KEY + " and " + OAI_KEY_ESCAPED + "\"}")),
            "you sent [REDACTED] and [REDACTED]")),
        Arguments.of("openai whole, large", new Echo("oai", false, json(completion("{\"role\":\"assistant\","
            + "\"content\":\"" + big + SealedGateway.PROVIDER_KEY + "\"}")), big + "[REDACTED]")),
        Arguments.of("openai tool arguments, \\/ and \\u002B", new Echo("slash", false, json(completion(
            "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
            + "\"function\":{\"name\":\"auth\",\"arguments\":\"{\\\"auth\\\":\\\"" + SLASH_KEY_ESCAPED + "\\\"}\"}}]}")),
            "{\"auth\":\"[REDACTED]\"}")),
        Arguments.of("anthropic whole", new Echo("ant", false, json(anthropicMessage("key " + SLASH_KEY_ESCAPED)),
            "key [REDACTED]")),
        Arguments.of("openai stream", new Echo("oai", true, sse(AnswerPolicyEndToEndTest.chunk(SealedGateway.MODEL, "fp_1",
            "you sent ") + AnswerPolicyEndToEndTest.chunk(SealedGateway.MODEL, "fp_1", SealedGateway.PROVIDER_KEY)
            + AnswerPolicyEndToEndTest.chunk(SealedGateway.MODEL, "fp_1", " and " + OAI_KEY_ESCAPED) + "data: [DONE]\n\n"),
            "you sent [REDACTED] and [REDACTED]")),
        Arguments.of("openai stream, \\/ and \\u002B", new Echo("slash", true, sse(AnswerPolicyEndToEndTest.chunk(
            SealedGateway.MODEL, "fp_1", SLASH_KEY_ESCAPED) + "data: [DONE]\n\n"), "[REDACTED]")),
        Arguments.of("anthropic stream", new Echo("ant", true, sse(anthropicStream(SLASH_KEY)), "key [REDACTED]")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("echoes")
  void aTwoHundredAnswerQuotingTheKeyReachesTheCallerMasked(String name, Echo echo) throws Exception {
    List<String> lines;
    String id;
    try (AllLogs logs = AllLogs.capture(); MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(echo.answer());
      SealedGateway sg = gateway(provider.url("/v1").uri());
      HttpResponse<String> res;
      try (Gateway g = sg.start()) {
        res = post(g.port(), "/routes/" + echo.route(), echo.stream() ? ASK_STREAM : ASK);
      }
      assertEquals(200, res.statusCode(), res.body());
      id = res.headers().firstValue("x-parapet-request-id").orElseThrow();
      lines = logs.lines();
      assertNoKey(sg, List.of(res.body()), lines, id);
      assertEquals(echo.readAs(), echo.stream() ? streamedText(res) : wholeText(res));
    }
    assertTrue(lines.stream().anyMatch(l -> l.contains("route=" + echo.route()) && l.contains("request_id=" + id)
        && l.contains("quoted the route's provider key")), "a log line says the key was masked in " + id);
    LeakWatch.assertNoLeaks();
  }

  /** An answer without the key (but with near misses, backslashes and the key's first byte) is the provider's very bytes. */
  @Test
  void anAnswerWithoutTheKeyIsPassedThroughAsSent() throws Exception {
    String clean = completion("{\"role\":\"assistant\",\"content\":\"near sk-test-provider-key-3133 is \\\\ no key\\n\\u00e9\"}");
    try (AllLogs logs = AllLogs.capture(); MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(json(clean));
      SealedGateway sg = gateway(provider.url("/v1").uri());
      HttpResponse<String> res;
      try (Gateway g = sg.start()) {
        res = post(g.port(), "/routes/oai", ASK);
      }
      assertEquals(200, res.statusCode(), res.body());
      assertEquals(clean, res.body(), "passed through as sent");
      assertFalse(logs.lines().stream().anyMatch(l -> l.contains("provider key")), "nothing masked, nothing said");
      String id = res.headers().firstValue("x-parapet-request-id").orElseThrow();
      sg.withStore(store -> {
        RequestRecord row = store.request(id).orElseThrow();
        assertFalse(row.notes().contains("provider_key_masked"), row.toString());
      });
    }
    LeakWatch.assertNoLeaks();
  }

  /** No key in what the caller got, the log, the call's row, the events or the store's files. */
  private static void assertNoKey(SealedGateway sg, List<String> answers, List<String> lines, String id) throws Exception {
    List<String> leaks = new ArrayList<>();
    for (String key : KEYS) {
      answers.stream().filter(a -> a.contains(key)).forEach(a -> leaks.add("answer: " + a));
      lines.stream().filter(l -> l.contains(key)).forEach(l -> leaks.add("log: " + l));
    }
    sg.withStore(store -> {
      RequestRecord row = store.request(id).orElseThrow();
      assertEquals(200, row.status(), row.toString());
      assertTrue(row.notes().contains("provider_key_masked"), "the row notes the mask: " + row);
      KEYS.stream().filter(k -> row.toString().contains(k)).forEach(k -> leaks.add("row: " + row));
      String events = store.events(Optional.empty(), Optional.empty(), 100).toString();
      KEYS.stream().filter(events::contains).forEach(k -> leaks.add("events: " + events));
    });
    try (Stream<Path> files = Files.walk(sg.dataDir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        KEYS.stream().filter(bytes::contains).forEach(k -> leaks.add("store file " + f.getFileName()));
      }
    }
    assertEquals(List.of(), leaks);
  }

  /** A whole answer's content, or its first tool call's arguments. */
  private static String wholeText(HttpResponse<String> r) throws Exception {
    JsonNode message = JSON.readTree(r.body()).at("/choices/0/message");
    return message.path("content").isTextual() ? message.path("content").asText()
        : message.at("/tool_calls/0/function/arguments").asText();
  }

  /** The text of a stream's deltas, each event parsed as JSON (the framing and the JSON intact). */
  private static String streamedText(HttpResponse<String> r) throws Exception {
    assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
    StringBuilder text = new StringBuilder();
    for (String event : r.body().split("\n\n")) {
      assertTrue(event.startsWith("data: ") && !event.contains("\n"), r.body());
      String data = event.substring("data: ".length());
      if (!data.equals("[DONE]")) {
        JsonNode chunk = JSON.readTree(data);
        text.append(chunk.at("/choices/0/delta/content").asText(""));
      }
    }
    return text.toString();
  }
}
