package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.store.UsageRow;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tool call's name is output the model writes and the provider bills, as its arguments are. A
 * call that ends without the provider's usage (a local server that reports none, a stream the
 * provider drops) is charged on the output counted from what it carried: the name counts too,
 * streamed (once, in the call's first delta) or whole, on a local route and on an anthropic one.
 * Before, only the arguments were counted, and a call whose tool takes no arguments was charged
 * almost nothing of its output.
 */
class ToolCallNameCountEndToEndTest {
  /** A long name, as MCP-style tools have, and no arguments: the name is nearly all the output. */
  private static final String NAME = "search_customer_relationship_management_records_by_account_owner_and_region";
  private static final String LOCAL_MODEL = "qwen2.5:14b";
  private static final String CLAUDE = "claude-sonnet-4-20250514";
  private static final String ASK = "{\"max_tokens\":100,%s\"messages\":[{\"role\":\"user\",\"content\":\"find them\"}],"
      + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"" + NAME + "\"}}]}";

  @TempDir Path tmp;

  private static Route route(String name, ProviderType type, String model, URI base) {
    return new Route(name, "prod", new ProviderSpec(type, model, Optional.of("OPENAI_KEY"), Optional.of(base), List.of(),
        Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(6000, 500, "5", false, RedactionPolicy.OFF));
  }

  private static String localChunk(String delta, String finish) {
    return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + LOCAL_MODEL
        + "\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + finish + "}]}\n\n";
  }

  private static String anthropicEvent(String type, String data) {
    return "event: " + type + "\ndata: " + data + "\n\n";
  }

  @Test
  void aToolCallsNameIsCountedWithoutTheProvidersUsage() throws Exception {
    // A local server without usage: a stream, and a whole answer.
    String localStream = localChunk("{\"role\":\"assistant\",\"content\":null}", "null")
        + localChunk("{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\""
            + NAME + "\",\"arguments\":\"\"}}]}", "null")
        + localChunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{}\"}}]}", "null")
        + localChunk("{}", "\"tool_calls\"") + "data: [DONE]\n\n";
    String localWhole = "{\"id\":\"c2\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + LOCAL_MODEL + "\","
        + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_2\","
        + "\"type\":\"function\",\"function\":{\"name\":\"" + NAME + "\",\"arguments\":\"{}\"}}]},"
        + "\"finish_reason\":\"tool_calls\"}]}";
    // An anthropic stream the provider drops after the tool call began: its usage so far says 1.
    String claudeStream = anthropicEvent("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
        + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + CLAUDE + "\",\"content\":[],"
        + "\"usage\":{\"input_tokens\":40,\"output_tokens\":1}}}")
        + anthropicEvent("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
        + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"" + NAME + "\",\"input\":{}}}")
        + anthropicEvent("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
        + "{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}");
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      URI base = provider.url("/v1").uri();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          route("local-stream", ProviderType.LOCAL, LOCAL_MODEL, base),
          route("local-whole", ProviderType.LOCAL, LOCAL_MODEL, base),
          route("claude", ProviderType.ANTHROPIC, CLAUDE, base)));
      try (Gateway g = sg.start()) {
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream")
            .chunkedBody(localStream, 64).build());
        HttpResponse<String> s = post(g.port(), "/routes/local-stream", ASK.formatted("\"stream\":true,"));
        assertEquals(200, s.statusCode(), s.body());
        assertTrue(s.body().contains(NAME) && s.body().endsWith("data: [DONE]\n\n"), s.body());

        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(localWhole).build());
        HttpResponse<String> w = post(g.port(), "/routes/local-whole", ASK.formatted(""));
        assertEquals(200, w.statusCode(), w.body());
        assertTrue(w.body().contains(NAME), w.body());

        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream")
            .body(claudeStream).build()); // ends without message_stop: dropped
        HttpResponse<String> c = post(g.port(), "/routes/claude", ASK.formatted("\"stream\":true,"));
        assertEquals(200, c.statusCode(), c.body());
        assertTrue(c.body().contains(NAME) && c.body().contains("\"code\":\"upstream_error\""), c.body());
      }
      TokenCounter local = TokenCounter.forModel(ProviderType.LOCAL, LOCAL_MODEL);
      TokenCounter claude = TokenCounter.forModel(ProviderType.ANTHROPIC, CLAUDE);
      assertTrue(local.count(NAME) > 5, "the name is most of the output: " + local.count(NAME));
      // A stream's billed text is counted together, as the provider counts its output: name, then arguments.
      assertEquals(local.count(NAME + "{}"), sg.usageToday("local-stream").tokensOut(), "streamed: name and arguments");
      assertEquals(local.count(NAME) + local.count("{}"), sg.usageToday("local-whole").tokensOut(),
          "whole: name and arguments");
      UsageRow claudeRow = sg.usageToday("claude");
      assertEquals(claude.count(NAME + "{}"), claudeRow.tokensOut(), "anthropic, cut: name and input, not the 1 reported");
    }
    LeakWatch.assertNoLeaks();
  }
}
