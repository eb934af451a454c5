package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;

import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;

/**
 * Calls through one gateway to a {@code local} route {@code local} (model {@code local-model}) on
 * a fake OpenAI-compatible server: each case's body fields ({@code c[0]}) beside one user message
 * (unless they hold {@code messages}), the server's answer queued for each.
 */
final class LocalServerCalls {
  static final String MODEL = "local-model";

  /** What one case checks of its answer and of what the server received. */
  interface CaseCheck {
    void check(String[] c, HttpResponse<String> answer, MockWebServer server) throws Exception;
  }

  private LocalServerCalls() {}

  static void eachCall(Path dataDir, int maxTokensIn, int maxTokensOut, String[][] cases, CaseCheck check)
      throws Exception {
    eachCall(dataDir, maxTokensIn, maxTokensOut, "5", cases, check);
  }

  static void eachCall(Path dataDir, int maxTokensIn, int maxTokensOut, String budgetUsd, String[][] cases,
      CaseCheck check) throws Exception {
    try (MockWebServer server = new MockWebServer()) {
      server.start();
      Route route = new Route("local", "prod", new ProviderSpec(ProviderType.LOCAL, MODEL, Optional.of("OPENAI_KEY"),
          Optional.of(server.url("/v1").uri()), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
          SealedGateway.policy(maxTokensIn, maxTokensOut, budgetUsd, false, RedactionPolicy.OFF));
      try (Gateway g = new SealedGateway(dataDir, Optional.empty(), List.of(route)).start()) {
        for (String[] c : cases) {
          server.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json")
              .body(SealedGateway.completion(MODEL, "ok", 20, 1)).build());
          String messages = c[0].contains("\"messages\":") ? "" : ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
          check.check(c, post(g.port(), "/routes/local", "{" + c[0] + messages + "}"), server);
        }
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
