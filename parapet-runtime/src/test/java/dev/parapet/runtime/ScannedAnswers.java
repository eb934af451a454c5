package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;

/**
 * Answers of an OpenAI-compatible server running a reasoning model, under {@code scan_output}
 * (EMAIL): a stream through a {@code block} route, a whole answer through a {@code warn} route,
 * over real sockets with a MockWebServer as the provider; and the chunks and answers to send.
 */
final class ScannedAnswers {
  static final String MODEL = "deepseek-r1:14b";
  static final String DONE = "data: [DONE]\n\n";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private int gateways; // each gateway its own store: each has its own master key

  ScannedAnswers(Path dir) {
    this.dir = dir;
  }

  private static Route local(String name, URI base, RedactionMode mode) {
    return new Route(name, "prod", new ProviderSpec(ProviderType.LOCAL, MODEL, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(6000, 500, "5", false, new RedactionPolicy(mode, List.of(RedactionPattern.EMAIL), true)));
  }

  /** A chunk of choice {@code index} with this delta. */
  static String chunk(int index, String delta) {
    return chunkWith(index, "\"delta\":" + delta);
  }

  /** A chunk whose one choice has {@code fields} beside its index and an unset finish_reason. */
  static String chunkWith(int index, String fields) {
    return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + MODEL
        + "\",\"choices\":[{\"index\":" + index + "," + fields + ",\"finish_reason\":null}]}\n\n";
  }

  /** The chunk that ends choice {@code index}. */
  static String finish(int index) {
    return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + MODEL
        + "\",\"choices\":[{\"index\":" + index + ",\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
  }

  /** A whole answer whose message has {@code messageFields} beside its role. */
  static String whole(String messageFields) {
    return wholeChoice("\"message\":{\"role\":\"assistant\"," + messageFields + "}");
  }

  /** A whole answer whose one choice has {@code fields} beside its index and finish_reason. */
  static String wholeChoice(String fields) {
    return "{\"id\":\"c2\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + MODEL + "\","
        + "\"choices\":[{\"index\":0," + fields + ",\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}";
  }

  /**
   * The answers a {@code block} route gives for a stream and a {@code warn} route for a whole
   * answer, and what each route was charged, in nano-USD ($1 per 1M tokens: 1,000 a token).
   */
  record Answers(HttpResponse<String> cut, JsonNode scrubbed, long streamCharged, long wholeCharged) {
    boolean truncated() {
      return cut.body().contains("\"code\":\"stream_truncated\"");
    }

    JsonNode scrubbedMessage() {
      return scrubbed.path("choices").path(0).path("message");
    }
  }

  /** {@code whole}, a whole answer, as the {@code block} route answers it. */
  HttpResponse<String> onTheBlockRoute(String whole) throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(whole).build());
      SealedGateway sg = new SealedGateway(dir.resolve("data-" + gateways++), Optional.empty(),
          List.of(local("strict", provider.url("/v1").uri(), RedactionMode.BLOCK)));
      try (Gateway g = sg.start()) {
        return post(g.port(), "/routes/strict", "{\"messages\":[{\"role\":\"user\",\"content\":\"who do I ask?\"}]}");
      }
    } finally {
      LeakWatch.assertNoLeaks();
    }
  }

  /** {@code stream}, an SSE answer, as the {@code warn} route answers it (a stream is cut, whatever the mode). */
  HttpResponse<String> streamedOnTheWarnRoute(String stream) throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(stream, 48).build());
      SealedGateway sg = new SealedGateway(dir.resolve("data-" + gateways++), Optional.empty(),
          List.of(local("scrubbed", provider.url("/v1").uri(), RedactionMode.WARN)));
      try (Gateway g = sg.start()) {
        return post(g.port(), "/routes/scrubbed",
            "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"who do I ask?\"}]}");
      }
    } finally {
      LeakWatch.assertNoLeaks();
    }
  }

  Answers get(String stream, String whole) throws Exception {
    return get(stream, whole, "");
  }

  /** {@code extra}: fields added to the streamed call's body (each after a comma). */
  Answers get(String stream, String whole, String extra) throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(stream, 48).build());
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(whole).build());
      SealedGateway sg = new SealedGateway(dir.resolve("data-" + gateways++), Optional.empty(), List.of(
          local("strict", provider.url("/v1").uri(), RedactionMode.BLOCK),
          local("scrubbed", provider.url("/v1").uri(), RedactionMode.WARN)));
      HttpResponse<String> cut;
      HttpResponse<String> scrubbed;
      try (Gateway g = sg.start()) {
        cut = post(g.port(), "/routes/strict",
            "{\"stream\":true" + extra + ",\"messages\":[{\"role\":\"user\",\"content\":\"who do I ask?\"}]}");
        assertEquals(200, cut.statusCode(), cut.body());
        scrubbed = post(g.port(), "/routes/scrubbed",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"who do I ask?\"}]}");
        assertEquals(200, scrubbed.statusCode(), scrubbed.body());
      }
      var spend = sg.withStore(s -> {});
      return new Answers(cut, JSON.readTree(scrubbed.body()), SealedGateway.route(spend, "strict"),
          SealedGateway.route(spend, "scrubbed"));
    } finally {
      LeakWatch.assertNoLeaks();
    }
  }
}
