package dev.parapet.runtime;

import static dev.parapet.runtime.TelemetryFixture.ADMIN;
import static dev.parapet.runtime.TelemetryFixture.ADMIN_PASSWORD;
import static dev.parapet.runtime.TelemetryFixture.VIEWER;
import static dev.parapet.runtime.TelemetryFixture.VIEWER_PASSWORD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.runtime.testing.ChildMain;
import dev.parapet.runtime.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production logging configuration ({@code logback.xml}, {@code PARAPET_LOG_FORMAT=json}) in
 * a separate JVM, as an operator runs it: a run with known secret values, then every stdout line
 * is one JSON object and none holds a secret, a prompt or a credential.
 */
class JsonLogProcessTest {
  @TempDir Path tmp;

  @Test
  void everyLogLineIsJsonAndHoldsNoSecret() throws Exception {
    TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9/v1"));
    int port = ChildMain.freePort();
    fx.env.put("PARAPET_PORT", Integer.toString(port));
    fx.env.put("PARAPET_LOG_FORMAT", "json");
    String prompt = "prompt-canary-json-0451";
    Process p = ChildMain.launch(fx.env, tmp.resolve("out.txt"), tmp.resolve("err.txt"));
    try {
      HttpResponse<String> health = ChildMain.awaitHealth(p, port, 150);
      assertTrue(health != null && health.statusCode() == 200, "never came up: " + Files.readString(tmp.resolve("err.txt")));
      assertEquals(200, fx.call(TestConfigs.TOKEN_A, "summarizer", prompt).statusCode());
      assertEquals(401, fx.call(TestConfigs.TOKEN_B + "-x", "summarizer", prompt).statusCode());
      assertEquals(403, fx.call(TestConfigs.TOKEN_B, "writer", prompt).statusCode());
      assertEquals(401, fx.get("/_parapet/usage", ADMIN, VIEWER_PASSWORD).statusCode());
      assertEquals(200, fx.get("/_parapet/metrics", VIEWER, VIEWER_PASSWORD).statusCode());
      assertEquals(200, fx.get("/_parapet/events", ADMIN, ADMIN_PASSWORD).statusCode());
      p.destroy(); // SIGTERM: drain, flush the store, exit 0
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("err.txt")));
    } finally {
      p.destroyForcibly();
    }
    String out = Files.readString(tmp.resolve("out.txt"), StandardCharsets.UTF_8);
    List<String> secrets = List.of(TelemetryFixture.PROVIDER_KEY, TestConfigs.TOKEN_A, TestConfigs.TOKEN_B,
        ADMIN_PASSWORD, VIEWER_PASSWORD, fx.env.get("PARAPET_MASTER_KEY"), prompt,
        TelemetryFixture.basic(ADMIN, VIEWER_PASSWORD).substring(6),
        TelemetryFixture.basic(VIEWER, VIEWER_PASSWORD).substring(6));
    int access = 0;
    for (String line : out.lines().toList()) {
      JsonNode event = TelemetryFixture.JSON.readTree(line);
      if ("parapet.access".equals(event.path("loggerName").asText())) {
        access++;
      }
      for (String secret : secrets) {
        assertFalse(line.contains(secret), "log line holds a secret: " + line);
      }
    }
    assertEquals(7, access, out); // six calls and the health check that found it up
    assertEquals("", Files.readString(tmp.resolve("err.txt")));
  }
}
