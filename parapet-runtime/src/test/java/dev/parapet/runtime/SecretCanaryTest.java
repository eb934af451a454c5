package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Role;
import dev.parapet.core.config.User;
import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.seal.PasswordHash;
import dev.parapet.runtime.testing.AllLogs;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.upstream.FakeProvider;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One canary per kind of secret — two provider keys (OpenAI-style and Anthropic-style routes),
 * the service token, an admin password, the master key — then every error path we can reach
 * through the production pipeline: a provider echoing the key it received in a 4xx body and in
 * its headers, in a 5xx body, in a mid-stream {@code event: error}; a TLS handshake failure; a
 * DNS failure ({@code nonexistent.invalid} never resolves, RFC 6761, no traffic leaves); a
 * provider that hangs past the timeout; callers presenting a provider key, the master key or the
 * admin password where a token or password is expected. No canary may appear in any response
 * (status line, headers, body), any log line of any logger at DEBUG (exception chains included),
 * or any byte of the data directory (the telemetry store and its WAL).
 */
class SecretCanaryTest {
  private static final String OPENAI_KEY = "sk-CANARY0openai0provider0key0000000000";
  private static final String ANTHROPIC_KEY = "sk-ant-CANARY1anthropic1provider1key11111";
  private static final String TLS_KEY = "sk-CANARY2tls2route2key22222222222222";
  private static final String DNS_KEY = "sk-CANARY3dns3route3key33333333333333";
  private static final String SLOW_KEY = "sk-CANARY4slow4route4key4444444444444";
  private static final String SERVICE_TOKEN = "CANARY5service5token555555555555555";
  private static final String ADMIN_PASSWORD = "CANARY6admin6password666";
  private static final byte[] MASTER_KEY_BYTES = "CANARY7master7key7bytes77777777!".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path tmp;

  /** The provider answers as the prompt asks, quoting back the key it was sent. */
  private static void answer(FakeProvider.Recorded r, FakeProvider.Conn c) throws Exception {
    String key = r.headers().getOrDefault("x-api-key", r.headers().getOrDefault("authorization", "")
        .replaceFirst("(?i)^bearer ", ""));
    String body = r.body();
    if (body.contains("case-4xx")) {
      c.full(401, "application/json",
          "{\"error\":{\"message\":\"Incorrect API key provided: " + key + "\",\"type\":\"invalid_request_error\"}}",
          "x-request-id: " + key, "x-ratelimit-remaining-requests: " + key, "retry-after: " + key,
          "www-authenticate: Bearer realm=\"" + key + "\"", "set-cookie: k=" + key);
    } else if (body.contains("case-5xx")) {
      c.full(503, "application/json", "{\"error\":{\"message\":\"upstream rejected key " + key + "\"}}",
          "x-request-id: " + key);
    } else if (body.contains("case-stream-error")) {
      c.sseHead("x-request-id: " + key);
      if (r.target().endsWith("/messages")) {
        c.chunk("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"claude-3-5-sonnet-20241022\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n");
        c.chunk("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"key " + key + "\"}}\n\n");
      } else {
        c.chunk("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n");
        c.chunk("event: error\ndata: {\"error\":{\"message\":\"key " + key + "\"}}\n\n");
      }
      c.endChunks();
    } else if (body.contains("case-hang")) {
      c.awaitPeerClose();
      c.close = true;
    } else if (body.contains("case-garbage")) {
      c.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n{\"not\":\"a completion\",\"k\":\"" + key);
      c.close = true;
    } else {
      c.full(400, "application/json", "{\"error\":{\"message\":\"unknown case, key " + key + "\"}}");
    }
  }

  @Test
  void noSecretReachesAResponseALogLineOrTheDataDirectory() throws Exception {
    MasterKey master = MasterKey.fromBase64(Base64.getEncoder().encodeToString(MASTER_KEY_BYTES));
    String masterBase64 = master.toBase64();
    List<String> canaries = List.of(OPENAI_KEY, ANTHROPIC_KEY, TLS_KEY, DNS_KEY, SLOW_KEY, SERVICE_TOKEN,
        ADMIN_PASSWORD, masterBase64);
    List<String> responses = new ArrayList<>();
    LeakWatch.start();
    List<String> logLines;
    try (AllLogs logs = AllLogs.capture();
        FakeProvider provider = new FakeProvider(SecretCanaryTest::answer)) {
      URI plain = provider.baseUrl("http", "127.0.0.1");
      Path data = tmp.resolve("data");
      try (ProductionStack stack = ProductionStack.builder(data)
          .route("oai", ProviderType.OPENAI, plain, OPENAI_KEY, 5_000)
          .route("ant", ProviderType.ANTHROPIC, plain, ANTHROPIC_KEY, 5_000)
          .route("tls", ProviderType.OPENAI, provider.baseUrl("https", "127.0.0.1"), TLS_KEY, 5_000)
          .route("dns", ProviderType.OPENAI, URI.create("https://nonexistent.invalid/v1"), DNS_KEY, 5_000)
          .route("slow", ProviderType.OPENAI, plain, SLOW_KEY, 300)
          .user(new User("admin", Role.ADMIN, "ADMIN_PW"), PasswordHash.hash(ADMIN_PASSWORD.toCharArray(), "admin"))
          .token(SERVICE_TOKEN)
          .masterKey(master)
          .start()) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        Caller call = (path, auth, json) -> {
          HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.port + path))
              .timeout(Duration.ofSeconds(20));
          if (auth != null) {
            b.header("Authorization", auth);
          }
          b = json == null ? b.GET() : b.header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(json));
          HttpResponse<String> res = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
          responses.add(res.statusCode() + " " + res.headers().map() + "\n" + res.body());
          return res;
        };
        String bearer = "Bearer " + SERVICE_TOKEN;
        for (String route : List.of("oai", "ant")) {
          assertEquals(401, call.send("/routes/" + route, bearer, prompt("case-4xx", false)).statusCode());
          assertEquals(502, call.send("/routes/" + route, bearer, prompt("case-5xx", false)).statusCode());
          assertEquals(502, call.send("/routes/" + route, bearer, prompt("case-garbage", false)).statusCode());
          HttpResponse<String> stream = call.send("/routes/" + route, bearer, prompt("case-stream-error", true));
          assertEquals(200, stream.statusCode());
          assertTrue(stream.body().contains("upstream_error") && stream.body().endsWith("data: [DONE]\n\n"), stream.body());
        }
        assertEquals(502, call.send("/routes/tls", bearer, prompt("case-any", false)).statusCode());
        assertEquals(502, call.send("/routes/dns", bearer, prompt("case-any", false)).statusCode());
        assertEquals(504, call.send("/routes/slow", bearer, prompt("case-hang", false)).statusCode());
        assertEquals(504, call.send("/routes/slow", bearer, prompt("case-hang", true)).statusCode());
        // Secrets presented where they do not belong.
        for (String wrong : List.of(OPENAI_KEY, ANTHROPIC_KEY, masterBase64, ADMIN_PASSWORD)) {
          assertEquals(401, call.send("/routes/oai", "Bearer " + wrong, prompt("case-any", false)).statusCode());
          assertEquals(401, call.send("/v1/models", "Bearer " + wrong, null).statusCode());
        }
        String basic = "Basic " + Base64.getEncoder().encodeToString(("admin:" + ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8));
        String basicWrong = "Basic " + Base64.getEncoder().encodeToString(("admin:" + OPENAI_KEY).getBytes(StandardCharsets.UTF_8));
        for (String path : List.of("/_parapet/usage?from=2026-01-01&to=2026-12-31&group_by=route",
            "/_parapet/events?limit=10", "/_parapet/metrics", "/_parapet/health")) {
          call.send(path, basic, null);
          call.send(path, basicWrong, null);
        }
        assertEquals(200, call.send("/v1/models", bearer, null).statusCode());
      }
      logLines = logs.lines();
      // every file the store left behind: database, WAL, shm, lock
      List<String> leaks = new ArrayList<>();
      try (Stream<Path> files = Files.walk(data)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
          for (String canary : canaries) {
            if (bytes.contains(canary)) {
              leaks.add(canary + " in " + f.getFileName());
            }
          }
        }
      }
      for (String canary : canaries) {
        responses.stream().filter(r -> r.contains(canary)).forEach(r -> leaks.add(canary + " in response: " + r));
        logLines.stream().filter(l -> l.contains(canary)).forEach(l -> leaks.add(canary + " in log: " + l));
      }
      assertEquals(List.of(), leaks);
      assertFalse(provider.received.isEmpty(), "the provider saw no request: the test proved nothing");
      // the provider did get each route's own key, so the echoes above really quoted secrets
      assertTrue(provider.drain().stream().anyMatch(r -> r.headers().getOrDefault("x-api-key", "").equals(ANTHROPIC_KEY)));
    }
    assertFalse(logLines.isEmpty(), "no log line captured: the capture is broken");
    LeakWatch.assertNoLeaks();
  }

  private static String prompt(String text, boolean stream) {
    return "{\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
  }

  @FunctionalInterface
  private interface Caller {
    HttpResponse<String> send(String path, String authorization, String json) throws IOException, InterruptedException;
  }

}
