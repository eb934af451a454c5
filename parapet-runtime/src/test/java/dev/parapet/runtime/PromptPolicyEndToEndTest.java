package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.chat;
import static dev.parapet.runtime.SealedGateway.completion;
import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.store.EventRow;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The prompt-side policies over real sockets: token limit, redaction warn/block/off. */
class PromptPolicyEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String EMAIL = "alice.secret@example.com";
  private static final String KEY = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345";

  @TempDir Path tmp;

  private static MockResponse ok() {
    return new MockResponse.Builder().addHeader("Content-Type", "application/json")
        .body(completion(SealedGateway.MODEL, "fine", 10, 1)).build();
  }

  private static List<RedactionPattern> patterns() {
    return List.of(RedactionPattern.EMAIL, RedactionPattern.API_KEY);
  }

  private SealedGateway gateway(URI base) {
    return new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
        SealedGateway.openAi("limited", base, SealedGateway.policy(20, 50, "5", true, RedactionPolicy.OFF), List.of()),
        SealedGateway.openAi("warn", base, SealedGateway.policy(100_000, 50, "5", true,
            new RedactionPolicy(RedactionMode.WARN, patterns(), false)), List.of()),
        SealedGateway.openAi("block", base, SealedGateway.policy(100_000, 50, "5", true,
            new RedactionPolicy(RedactionMode.BLOCK, patterns(), false)), List.of()),
        SealedGateway.openAi("off", base, SealedGateway.policy(6000, 50, "5", true,
            new RedactionPolicy(RedactionMode.OFF, patterns(), false)), List.of())));
  }

  @Test
  void tokenLimitAdmitsUnderAndRefusesOverWithCountAndLimit() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      String longPrompt = "word ".repeat(40).trim();
      int tokens = TokenCounter.forModel(ProviderType.OPENAI, SealedGateway.MODEL).countMessages(List.of(longPrompt));
      try (Gateway g = sg.start()) {
        provider.enqueue(ok());
        HttpResponse<String> small = post(g.port(), "/routes/limited", chat("hi", 5000));
        assertEquals(200, small.statusCode(), small.body());
        // max_tokens_out caps what is asked of the provider (the route stage's job, checked here),
        // sent to OpenAI as max_completion_tokens (its reasoning models refuse max_tokens)
        RecordedRequest sent = provider.takeRequest(5, TimeUnit.SECONDS);
        JsonNode asked = JSON.readTree(sent.getBody().utf8());
        assertEquals(50, asked.get("max_completion_tokens").asInt());
        assertFalse(asked.has("max_tokens"), asked.toString());

        HttpResponse<String> big = post(g.port(), "/routes/limited", chat(longPrompt, 10));
        assertEquals(400, big.statusCode());
        JsonNode error = JSON.readTree(big.body()).get("error");
        assertEquals("max_tokens_in_exceeded", error.get("code").asText());
        assertTrue(error.get("message").asText().contains(tokens + " tokens"), error.toString());
        assertTrue(error.get("message").asText().contains("max_tokens_in 20"), error.toString());
        assertEquals(1, provider.getRequestCount());
      }
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void warnScrubsWhatGoesUpstreamAndCountsItInAHeader() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        provider.enqueue(ok());
        String body = "{\"messages\":[{\"role\":\"system\",\"content\":\"mail " + EMAIL + "\"},"
            + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"key " + KEY + " and " + EMAIL + "\"}]}]}";
        HttpResponse<String> r = post(g.port(), "/routes/warn", body);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("3", r.headers().firstValue("x-parapet-redactions").orElse(""));
        String upstream = provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8();
        assertFalse(upstream.contains(EMAIL) || upstream.contains(KEY), upstream);
        assertTrue(upstream.contains("mail [REDACTED:EMAIL]"), upstream);
        assertTrue(upstream.contains("key [REDACTED:API_KEY] and [REDACTED:EMAIL]"), upstream);

        provider.enqueue(ok());
        HttpResponse<String> clean = post(g.port(), "/routes/warn", chat("nothing to hide", 10));
        assertTrue(clean.headers().firstValue("x-parapet-redactions").isEmpty());
      }
      sg.withStore(store -> {
        List<EventRow> events = store.events(Optional.empty(), Optional.of(EventKind.REDACTED), 10);
        assertEquals(1, events.size());
        String row = events.get(0).toString();
        assertTrue(row.contains("EMAIL") && row.contains("2") && row.contains("API_KEY"), row);
        assertFalse(row.contains(EMAIL) || row.contains(KEY), row);
      });
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A prompt above OffLoop.THRESHOLD is scanned on the policy threads, not its event loop (re2j
   * reads adversarial text at ~3 MB/s), with the same outcome: scrubbed upstream and counted in
   * the header for warn, refused for block; and a caller gone meanwhile leaves the gateway whole.
   */
  @Test
  void aLargePromptIsScannedOffTheEventLoopWithTheSameOutcome() throws Exception {
    String filler = "a@a@".repeat(6_000); // matchable throughout: one long re2j pass
    String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + filler + " mail " + EMAIL + "\"}]}";
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        long before = dev.parapet.runtime.policy.OffLoop.completedTasks();
        provider.enqueue(ok());
        HttpResponse<String> warned = post(g.port(), "/routes/warn", body);
        assertEquals(200, warned.statusCode(), warned.body());
        assertEquals("1", warned.headers().firstValue("x-parapet-redactions").orElse(""));
        String upstream = provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8();
        assertFalse(upstream.contains(EMAIL), "the address went upstream");
        assertTrue(upstream.contains(filler + " mail [REDACTED:EMAIL]"), "scrubbed in place");

        HttpResponse<String> blocked = post(g.port(), "/routes/block", body);
        assertEquals(422, blocked.statusCode(), blocked.body());
        assertEquals("redaction_blocked", JSON.readTree(blocked.body()).get("error").get("code").asText());
        assertEquals(1, provider.getRequestCount(), "nothing went upstream for the blocked prompt");
        // Six tasks: both bodies' parses, warn's scan, its token count and its encoding for the
        // provider, block's scan (nothing counts a blocked prompt). Inline scans would leave four.
        // The pool counts a task just after it hands the result back, so wait for it.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (dev.parapet.runtime.policy.OffLoop.completedTasks() < before + 6 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertEquals(before + 6, dev.parapet.runtime.policy.OffLoop.completedTasks(), "both scans ran off the loop");

        byte[] json = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < 3; i++) {
          try (java.net.Socket s = new java.net.Socket("127.0.0.1", g.port())) {
            s.getOutputStream().write(("POST /routes/warn HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + dev.parapet.runtime.testing.TestConfigs.TOKEN_A + "\r\nContent-Type: application/json\r\nContent-Length: " + json.length
                + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            s.getOutputStream().write(json);
            s.getOutputStream().flush();
          } // gone before the answer
        }
        provider.enqueue(ok());
        HttpResponse<String> after = post(g.port(), "/routes/warn", chat("still here", 10));
        assertEquals(200, after.statusCode(), after.body());
      }
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void blockRefuses422NamingThePatternAndSendsNothing() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        HttpResponse<String> r = post(g.port(), "/routes/block", chat("reach me at " + EMAIL, 10));
        assertEquals(422, r.statusCode());
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertEquals("redaction_blocked", error.get("code").asText());
        assertTrue(error.get("message").asText().contains("EMAIL"));
        assertFalse(r.body().contains(EMAIL));
        assertEquals(0, provider.getRequestCount());

        provider.enqueue(ok());
        assertEquals(200, post(g.port(), "/routes/block", chat("nothing to hide", 10)).statusCode());
        provider.enqueue(ok());
        HttpResponse<String> off = post(g.port(), "/routes/off", chat("reach me at " + EMAIL, 10));
        assertEquals(200, off.statusCode());
        assertTrue(off.headers().firstValue("x-parapet-redactions").isEmpty());
        provider.takeRequest(5, TimeUnit.SECONDS);
        assertTrue(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8().contains(EMAIL), "off forwards as is");
      }
      sg.withStore(store -> {
        List<EventRow> events = store.events(Optional.empty(), Optional.of(EventKind.REDACTION_BLOCKED), 10);
        assertEquals(1, events.size());
        assertFalse(events.get(0).toString().contains(EMAIL));
      });
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void plantedSecretsReachNoLogNoStoreFileAndStreamsCarryTheHeaderToo() throws Exception {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
        new ch.qos.logback.core.read.ListAppender<>();
    logs.start();
    root.addAppender(logs);
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream")
            .body(AnswerPolicyEndToEndTest.chunk(SealedGateway.MODEL, "fp", "ok") + "data: [DONE]\n\n").build());
        HttpResponse<String> stream = post(g.port(), "/routes/warn",
            "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + KEY + "\"}]}");
        assertEquals(200, stream.statusCode());
        assertEquals("1", stream.headers().firstValue("x-parapet-redactions").orElse(""));
        assertEquals(422, post(g.port(), "/routes/block", chat(EMAIL, 10)).statusCode());
        assertEquals(400, post(g.port(), "/routes/limited", chat(EMAIL + " " + "word ".repeat(40), 10)).statusCode());
      }
      sg.spendToday();
      try (var files = java.nio.file.Files.walk(sg.dataDir)) {
        for (Path f : files.filter(java.nio.file.Files::isRegularFile).toList()) {
          String bytes = new String(java.nio.file.Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1);
          assertFalse(bytes.contains(EMAIL) || bytes.contains(KEY), f.toString());
        }
      }
    } finally {
      root.detachAppender(logs);
    }
    for (ch.qos.logback.classic.spi.ILoggingEvent e : logs.list) {
      String line = e.getFormattedMessage();
      assertFalse(line.contains(EMAIL) || line.contains(KEY), line);
    }
    LeakWatch.assertNoLeaks();
  }
}
