package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.store.SpendKey;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.upstream.FakeProvider;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A provider that answers 2xx has billed the call, whether or not Parapet can read the answer. An
 * answer past the 16 MiB bound (which a caller can make: {@code n} × {@code top_logprobs}), one that
 * does not parse, or one cut off after its head used to end as {@code upstream_error} with nothing
 * seen, and its hold was released: a free call, as often as the caller liked. The caller still gets
 * the 502; the hold is now settled at its worst case. A refusal (4xx) billed nothing and is still
 * released.
 */
class UnreadableAnswerEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  /** A whole 200 answer past 16 MiB: what many choices with top_logprobs 20 come to. */
  private static String hugeAnswer() {
    String pad = "x".repeat(17 << 20);
    return "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + SealedGateway.MODEL + "\","
        + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},"
        + "\"logprobs\":{\"content\":[{\"token\":\"" + pad + "\",\"logprob\":-0.1,\"top_logprobs\":[]}]},"
        + "\"finish_reason\":\"length\"}],"
        + "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":2000,\"total_tokens\":2020}}";
  }

  private static MockResponse json(int status, String body) {
    return new MockResponse.Builder().code(status).addHeader("Content-Type", "application/json").body(body).build();
  }

  @Test
  void anAnswerTooLargeToReadIsChargedItsWorstCase() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(json(200, hugeAnswer()));
      provider.enqueue(json(200, hugeAnswer()));
      // $1 per 1M tokens; max_tokens_out 2,000: $0.0025 covers one call's worst case (~2,010 tokens), not two
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("big", provider.url("/v1").uri(),
              SealedGateway.policy(6000, 2000, "0.0025", false, RedactionPolicy.OFF), List.of())));
      String ask = "{\"logprobs\":true,\"top_logprobs\":20,\"messages\":[{\"role\":\"user\",\"content\":\"say a lot\"}]}";
      try (Gateway g = sg.start()) {
        HttpResponse<String> first = post(g.port(), "/routes/big", ask);
        assertEquals(502, first.statusCode(), first.body());
        assertEquals("upstream_error", JSON.readTree(first.body()).path("error").path("code").asText());
        HttpResponse<String> second = post(g.port(), "/routes/big", ask);
        assertEquals(402, second.statusCode(), "the first call was charged its worst case: " + second.body());
      }
      assertEquals(1, provider.getRequestCount(), "the second call was refused before anything was sent");
      long spent = SealedGateway.route(sg.spendToday(), "big");
      assertTrue(spent >= 2_000_000L && spent <= 2_100_000L, "the worst case of 2,000 tokens out and the prompt: " + spent);
    }
    LeakWatch.assertNoLeaks();
  }

  /** An Anthropic answer whose tool call carries the number {@code digits} (600 tokens in, 1,900 out). */
  private static String toolAnswer(String digits) {
    return "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-20250514\","
        + "\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"store\",\"input\":{\"x\":" + digits + "}}],"
        + "\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":600,\"output_tokens\":1900}}";
  }

  /**
   * A model asked for a long number writes one into its tool call. Jackson's default stopped at
   * 1,000 digits, so such an answer was refused, and released; now 10,000 digits are read, and a
   * longer number is charged the worst case.
   */
  @Test
  void aToolCallWithALongNumberIsReadAndOneTooLongChargedItsWorstCase() throws Exception {
    String longNumber = "1" + "0".repeat(1500);
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(json(200, toolAnswer(longNumber)));
      provider.enqueue(json(200, toolAnswer("1" + "0".repeat(20_000))));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          new Route("claude", "prod", new ProviderSpec(ProviderType.ANTHROPIC, "claude-sonnet-4-20250514",
              Optional.of("OPENAI_KEY"), Optional.of(base(provider)), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M),
              5_000), SealedGateway.policy(6000, 2000, "5", false, RedactionPolicy.OFF))));
      String ask = "{\"messages\":[{\"role\":\"user\",\"content\":\"call store with a long x\"}],\"tools\":[{\"type\":"
          + "\"function\",\"function\":{\"name\":\"store\",\"parameters\":{\"type\":\"object\",\"properties\":"
          + "{\"x\":{\"type\":\"integer\"}}}}}]}";
      try (Gateway g = sg.start()) {
        HttpResponse<String> read = post(g.port(), "/routes/claude", ask);
        assertEquals(200, read.statusCode(), read.body());
        String arguments = JSON.readTree(read.body()).path("choices").path(0).path("message").path("tool_calls").path(0)
            .path("function").path("arguments").asText();
        assertEquals("{\"x\":" + longNumber + "}", arguments);
        HttpResponse<String> tooLong = post(g.port(), "/routes/claude", ask);
        assertEquals(502, tooLong.statusCode(), tooLong.body());
      }
      long spent = SealedGateway.route(sg.spendToday(), "claude");
      // the first on its usage, 2,500 tokens; the second its worst case: 2,000 tokens out and the prompt
      // (an estimate with the tool-use system prompt Anthropic adds)
      assertTrue(spent >= (2_500 + 2_000) * 1_000L && spent < (2_500 + 3_000) * 1_000L, "charged " + spent);
    }
    LeakWatch.assertNoLeaks();
  }

  private static URI base(MockWebServer provider) {
    return provider.url("/v1").uri();
  }

  /**
   * Bytes that are no HTTP head came back for a request the provider received: they may be a 2xx
   * answer we cannot read (a whole answer's head comes only once the provider wrote all of it), so a
   * whole call is charged its worst case as a streamed one is, not released.
   */
  @Test
  void anAnswerWithoutAStatusLineIsChargedItsWorstCaseStreamedOrNot() throws Exception {
    try (FakeProvider garbage = new FakeProvider((r, c) -> {
      c.write("\u0000\u0001SSH-2.0-OpenSSH_9.6\r\nnot http at all\r\n\r\n");
      c.close = true;
    })) {
      URI base = garbage.baseUrl("http", "127.0.0.1");
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("whole", base, SealedGateway.policy(6000, 1000, "5", false, RedactionPolicy.OFF), List.of()),
          SealedGateway.openAi("streamed", base, SealedGateway.policy(6000, 1000, "5", false, RedactionPolicy.OFF), List.of())));
      String ask = SealedGateway.chat("hi", 1000);
      try (Gateway g = sg.start()) {
        for (String route : List.of("whole", "streamed")) {
          HttpResponse<String> r = post(g.port(), "/routes/" + route,
              route.equals("whole") ? ask : ask.replace("{", "{\"stream\":true,"));
          assertEquals(502, r.statusCode(), route + ": " + r.body());
          assertEquals("upstream_error", JSON.readTree(r.body()).path("error").path("code").asText(), route);
        }
      }
      Map<SpendKey, Long> spend = sg.spendToday();
      for (String route : List.of("whole", "streamed")) {
        long spent = SealedGateway.route(spend, route);
        assertTrue(spent >= 1_000_000L && spent < 1_100_000L, route + ": charged " + spent + ", not its worst case");
      }
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aMalformedOrCutOffAnswerIsChargedItsWorstCaseAndARefusalNothing() throws Exception {
    String answer = SealedGateway.completion(SealedGateway.MODEL, "fine", 20, 5);
    try (MockWebServer garbled = new MockWebServer(); MockWebServer cut = new MockWebServer();
        MockWebServer notSse = new MockWebServer(); MockWebServer refused = new MockWebServer()) {
      garbled.start();
      cut.start();
      notSse.start();
      refused.start();
      garbled.enqueue(json(200, "{\"id\":\"c1\",\"choices\":[{\"message\":"));
      // half the body, then the provider's connection closes
      cut.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(answer)
          .onResponseBody(new SocketEffect.CloseSocket(true, false, false)).build());
      // a stream asked for, a whole answer sent: billed, and not what Parapet reads for a stream
      notSse.enqueue(json(200, answer));
      // a refusal too large to pass through: the provider billed nothing
      refused.enqueue(json(400, "{\"error\":{\"message\":\"" + "x".repeat(17 << 20) + "\"}}"));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("garbled", base(garbled), SealedGateway.policy(6000, 1000, "5", false, RedactionPolicy.OFF), List.of()),
          SealedGateway.openAi("cut", base(cut), SealedGateway.policy(6000, 1000, "5", false, RedactionPolicy.OFF), List.of()),
          SealedGateway.openAi("notsse", base(notSse), SealedGateway.policy(6000, 1000, "5", false, RedactionPolicy.OFF), List.of()),
          SealedGateway.openAi("refused", base(refused), SealedGateway.policy(6000, 1000, "5", false, RedactionPolicy.OFF), List.of())));
      String ask = SealedGateway.chat("hi", 1000);
      try (Gateway g = sg.start()) {
        for (String route : List.of("garbled", "cut", "refused")) {
          HttpResponse<String> r = post(g.port(), "/routes/" + route, ask);
          assertEquals(502, r.statusCode(), route + ": " + r.body());
          assertEquals("upstream_error", JSON.readTree(r.body()).path("error").path("code").asText(), route);
        }
        HttpResponse<String> r = post(g.port(), "/routes/notsse", ask.replace("{", "{\"stream\":true,"));
        assertEquals(502, r.statusCode(), r.body());
      }
      Map<SpendKey, Long> spend = sg.spendToday();
      for (String route : List.of("garbled", "cut", "notsse")) {
        long spent = SealedGateway.route(spend, route);
        // 1,000 nano-USD a token: the worst case holds max_tokens 1,000; the prompt alone is ~8 tokens
        assertTrue(spent >= 1_000_000L && spent < 1_100_000L, route + ": charged " + spent + ", not its worst case");
      }
      assertEquals(0, SealedGateway.route(spend, "refused"), "a provider's refusal is released");
    }
    LeakWatch.assertNoLeaks();
  }
}
