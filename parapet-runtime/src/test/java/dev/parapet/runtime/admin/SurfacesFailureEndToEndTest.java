package dev.parapet.runtime.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.Role;
import dev.parapet.core.config.User;
import dev.parapet.core.seal.PasswordHash;
import dev.parapet.runtime.Gateway;
import dev.parapet.runtime.Stages;
import dev.parapet.runtime.boot.Settings;
import dev.parapet.runtime.testing.AllLogs;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.RawHttp.Response;
import dev.parapet.runtime.testing.RecordingTerminal;
import dev.parapet.runtime.testing.TestConfigs;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A read-only surface whose work throws over a real socket: whatever it throws, an exception or
 * an {@link Error}, the caller gets SPEC's 500 error shape, the log names the type, and the
 * connection serves the next request.
 */
class SurfacesFailureEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "scrape-secret-detail";

  @Test
  void aStackOverflowInASurfaceIs500InSpecShape() throws Exception {
    assertAnswered500(() -> {
      throw new StackOverflowError(SECRET);
    }, "StackOverflowError");
  }

  @Test
  void anyOtherErrorInASurfaceIs500Too() throws Exception {
    assertAnswered500(() -> {
      throw new AssertionError(SECRET);
    }, "AssertionError");
  }

  private static void assertAnswered500(Supplier<String> scrape, String type) throws Exception {
    LeakWatch.start();
    ExecutorService executor = Executors.newSingleThreadExecutor();
    PasswordCheck passwords = new PasswordCheck(List.of(new User("ops", Role.VIEWER, "OPS_PW")),
        Map.of("ops", PasswordHash.hash("pw".toCharArray(), "ops")));
    SurfacesHandler handler = new SurfacesHandler(passwords,
        new LoginCache(60_000_000_000L, 8, System::nanoTime),
        new FailureLimit(10, 60_000_000_000L, 8, System::nanoTime),
        null, null, scrape, "text/plain", executor);
    RecordingTerminal terminal = new RecordingTerminal();
    Gateway gateway = new Gateway(Settings.defaults().withBind("127.0.0.1").withPort(0), TestConfigs.front(),
        new Stages(List.of(), terminal::newHandler, List.of(), List.of(), Optional.of(() -> handler),
            List.of(), List.of()));
    String metrics = "GET /_parapet/metrics HTTP/1.1\r\nHost: p\r\nAuthorization: Basic "
        + Base64.getEncoder().encodeToString("ops:pw".getBytes(StandardCharsets.UTF_8)) + "\r\n\r\n";
    try (AllLogs logs = AllLogs.capture(); RawHttp c = new RawHttp(gateway.start())) {
      Response r = c.send(metrics).read();
      assertEquals(500, r.status(), r.body());
      JsonNode e = JSON.readTree(r.body()).get("error");
      assertEquals("parapet_error", e.get("type").asText());
      assertEquals("internal_error", e.get("code").asText());
      assertEquals(r.header("x-parapet-request-id"), e.get("request_id").asText());
      assertFalse(r.body().contains(SECRET), r.body());
      assertFalse(r.body().contains(type), "no exception type or trace to the caller: " + r.body());
      assertTrue(logs.messages().stream().anyMatch(m -> m.contains("read-only surface failed (" + type + ")")),
          logs.messages().toString());
      assertTrue(logs.lines().stream().noneMatch(l -> l.contains(SECRET)), "the error's message is not logged");
      // The connection is still in order: the next request is answered too.
      assertEquals(500, c.send(metrics).read().status());
    } finally {
      gateway.close();
      executor.shutdownNow();
    }
    LeakWatch.assertNoLeaks();
  }
}
