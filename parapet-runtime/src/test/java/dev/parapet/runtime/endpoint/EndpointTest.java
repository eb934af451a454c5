package dev.parapet.runtime.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EndpointTest {
  @ParameterizedTest
  @CsvSource({
      "/_parapet/health, HEALTH",
      "/_parapet/health/, PARAPET_OTHER",
      "/_parapet/usage, USAGE",
      "/_parapet/events, EVENTS",
      "/_parapet/metrics, METRICS",
      "/_parapet/usage/, PARAPET_OTHER",
      "/_parapet/%75sage, PARAPET_OTHER",
      "/_parapet/Metrics, PARAPET_OTHER",
      "/_parapet/x, PARAPET_OTHER",
      "/_parapet/%68ealth, PARAPET_OTHER",
      "/_parapet, UNKNOWN",
      "/routes/summarizer, ROUTE_CALL",
      "/routes/../v1/models, ROUTE_CALL",
      "/routes/, UNKNOWN",
      "/routes, UNKNOWN",
      "//routes/a, UNKNOWN",
      "/v1/chat/completions, CHAT_COMPLETIONS",
      "/v1/chat/completions/, UNKNOWN",
      "/v1/chat//completions, UNKNOWN",
      "/v1/chat/%63ompletions, UNKNOWN",
      "/v1/models, MODELS",
      "/v1/models/summarizer, MODEL",
      "/v1/models/, UNKNOWN",
      "/v1/models/a/b, MODEL",
      "/v1//models/a, UNKNOWN",
      "/v1/./models, UNKNOWN",
      "/v1/models\\, UNKNOWN",
      "http://x/v1/models, UNKNOWN",
      "*, UNKNOWN",
  })
  void rawPathsMatchExactly(String path, Endpoint expected) {
    assertEquals(expected, Endpoint.classify(path));
  }
}
