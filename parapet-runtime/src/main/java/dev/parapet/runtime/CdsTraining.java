package dev.parapet.runtime;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.seal.Sealer;
import dev.parapet.core.seal.TokenDigest;
import dev.parapet.runtime.boot.Boot;
import dev.parapet.runtime.boot.BootException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code java -XX:ArchiveClassesAtExit=parapet.jsa -jar parapet-runtime.jar train-cds}: a training
 * run for a class-data-sharing archive. Most of a boot is the JVM loading and verifying classes
 * (Netty, Jackson, logback, SQLite's driver, Parapet's own); a JDK 17 dynamic archive of the
 * classes a real boot and a few calls load lets every later boot map them instead. Started with
 * {@code -XX:SharedArchiveFile=parapet.jsa}, the bench's 100-route boot fell from 1.54 to 0.89 s
 * median on a 2-core box (main thread 890 to 510 ms of CPU). The archive belongs to the JVM build
 * and the jar it was made with; with another one the JVM says so and boots without it.
 *
 * <p>The run is offline and leaves nothing behind: a throwaway config (one {@code echo} route with
 * every policy on, one service with a random token) sealed with a fresh master key, the production
 * wiring on a loopback port with a temporary data directory, a few calls over a socket (health,
 * models, a refused token, chat answers whole and streamed), then a clean stop. Nothing here reads
 * the environment: the operator's blob and keys are never needed to build the archive.
 */
public final class CdsTraining {
  private static final String ROUTE = "training-echo";
  private static final String SERVICE = "training";
  private static final String MODEL = "echo-2024-01-01";

  private CdsTraining() {}

  /** Runs the training; 0 when every call was answered as expected, else 1 with a reason on {@code err}. */
  public static int run(PrintStream out, PrintStream err) {
    Path dir;
    try {
      dir = Files.createTempDirectory("parapet-cds-");
    } catch (IOException e) {
      err.println("parapet: train-cds: cannot create a temporary directory: " + e.getMessage());
      return 1;
    }
    try {
      SecureRandom random = new SecureRandom();
      byte[] raw = new byte[24];
      random.nextBytes(raw);
      String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
      MasterKey key = MasterKey.generate(random);
      Map<String, String> env = Map.of(
          "PARAPET_BOOTSTRAP_STATE", Sealer.seal(config(token), key, random),
          "PARAPET_MASTER_KEY", key.toBase64(),
          "PARAPET_BIND", "127.0.0.1",
          "PARAPET_PORT", "0",
          "PARAPET_DATA_DIR", dir.resolve("data").toString());
      int answered = 0;
      try (Gateway gateway = Boot.start(env, Wiring.production(env))) {
        for (Call call : calls(token)) {
          String answer = exchange(gateway.port(), call.request());
          if (!answer.startsWith("HTTP/1.1 " + call.status() + " ")) {
            err.println("parapet: train-cds: " + call.what() + " answered "
                + answer.lines().findFirst().orElse("nothing") + ", expected " + call.status());
            return 1;
          }
          answered++;
        }
      }
      out.println("parapet: train-cds: booted, " + answered + " calls answered, stopped");
      return 0;
    } catch (BootException | IOException | RuntimeException e) {
      err.println("parapet: train-cds failed: " + e.getMessage());
      return 1;
    } finally {
      delete(dir);
    }
  }

  private static HydratedConfig config(String token) {
    RedactionPolicy redaction = new RedactionPolicy(RedactionMode.WARN, List.of(RedactionPattern.values()), true);
    Route route = new Route(ROUTE, SERVICE,
        new ProviderSpec(ProviderType.ECHO, MODEL, Optional.empty(), Optional.empty(), List.of(),
            Optional.of(new Pricing(BigDecimal.ONE, BigDecimal.ONE)), 60_000),
        new Policy(6000, 200, new BigDecimal("100"), true, redaction));
    ParapetSpec spec = new ParapetSpec(1, List.of(new Tenant(SERVICE, Optional.empty(), Optional.empty())),
        List.of(route), List.of(new Service(SERVICE, SERVICE, List.of(ROUTE), "TRAINING_TOKEN")), List.of());
    return new HydratedConfig(spec, Map.of(),
        Map.of(SERVICE, TokenDigest.of(token.getBytes(StandardCharsets.UTF_8))), Map.of());
  }

  private record Call(String what, String request, int status) {}

  private static List<Call> calls(String token) {
    String chat = "{\"model\":\"" + ROUTE + "\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
        + "{\"role\":\"user\",\"content\":\"Summarise: the rollout moved to Thursday; ask ops@example.com.\"}]";
    return List.of(
        new Call("health", "GET /_parapet/health HTTP/1.1\r\nHost: parapet\r\nConnection: close\r\n\r\n", 200),
        new Call("models", get("/v1/models", token), 200),
        new Call("a refused token", post("/v1/chat/completions", "not-the-token", chat + "}"), 401),
        new Call("a chat call", post("/v1/chat/completions", token, chat + "}"), 200),
        new Call("a streamed chat call", post("/routes/" + ROUTE, token, chat + ",\"stream\":true}"), 200),
        new Call("a second chat call", post("/v1/chat/completions", token, chat + ",\"max_tokens\":50}"), 200));
  }

  private static String get(String path, String token) {
    return "GET " + path + " HTTP/1.1\r\nHost: parapet\r\nAuthorization: Bearer " + token
        + "\r\nConnection: close\r\n\r\n";
  }

  private static String post(String path, String token, String json) {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    return "POST " + path + " HTTP/1.1\r\nHost: parapet\r\nAuthorization: Bearer " + token
        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n"
        + json;
  }

  /** One request on its own connection; the whole answer, read until the gateway closes. */
  private static String exchange(int port, String request) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      in.transferTo(answer);
      return answer.toString(StandardCharsets.UTF_8);
    }
  }

  private static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // A temporary directory left behind is the OS's to clean; the archive is what matters.
    }
  }
}
