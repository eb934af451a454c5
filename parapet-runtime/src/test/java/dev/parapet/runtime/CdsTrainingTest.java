package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.seal.Sealer;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.TestConfigs;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train-cds}: the training boots an offline throwaway gateway, answers its calls and stops;
 * run in a JVM that writes a class-data archive, the archive then serves the next boot of a real
 * config ({@code -Xshare:on}: the JVM refuses to start if it cannot map it).
 */
class CdsTrainingTest {
  @TempDir Path tmp;

  @Test
  void theTrainingBootsAnswersItsCallsAndStops() throws InterruptedException {
    LeakWatch.start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = CdsTraining.run(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("6 calls answered"), out.toString(StandardCharsets.UTF_8));
    LeakWatch.assertNoLeaks();
  }

  @Test
  void anArchiveFromTheTrainingServesTheNextBoot() throws Exception {
    String classPath = jarredClassPath();
    Path archive = tmp.resolve("parapet.jsa");
    Process training = java(classPath, Map.of(), "train.txt",
        "-Xlog:cds=error", "-XX:ArchiveClassesAtExit=" + archive, "dev.parapet.runtime.Main", "train-cds");
    assertTrue(training.waitFor(120, TimeUnit.SECONDS), "the training did not end");
    assertEquals(0, training.exitValue(), read("train.txt"));
    assertTrue(Files.size(archive) > 1_000_000, "archive of " + Files.size(archive) + " bytes");

    HydratedConfig config = TestConfigs.config();
    MasterKey key = MasterKey.generate(new SecureRandom());
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process gateway = java(classPath, Map.of(
            "PARAPET_BOOTSTRAP_STATE", Sealer.seal(config, key, new SecureRandom()),
            "PARAPET_MASTER_KEY", key.toBase64(),
            "PARAPET_PORT", Integer.toString(port),
            "PARAPET_BIND", "127.0.0.1",
            "PARAPET_DATA_DIR", tmp.resolve("data").toString()),
        "gateway.txt", "-Xshare:on", "-XX:SharedArchiveFile=" + archive, "dev.parapet.runtime.Main");
    try {
      HttpResponse<String> health = null;
      for (int i = 0; i < 300 && health == null && gateway.isAlive(); i++) {
        try {
          health = HttpClient.newHttpClient().send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/_parapet/health")).build(),
              HttpResponse.BodyHandlers.ofString());
        } catch (IOException notYet) {
          Thread.sleep(100);
        }
      }
      assertNotNull(health, "the gateway never came up on the archive: " + read("gateway.txt"));
      assertTrue(health.body().contains(Sealer.configSha256(config)), health.body());
      gateway.destroy();
      assertTrue(gateway.waitFor(20, TimeUnit.SECONDS));
      assertEquals(0, gateway.exitValue(), read("gateway.txt"));
    } finally {
      gateway.destroyForcibly();
    }
    assertFalse(read("gateway.txt").contains("[cds]"), read("gateway.txt"));
  }

  private Process java(String classPath, Map<String, String> env, String output, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classPath));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("PARAPET_"));
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    pb.redirectOutput(tmp.resolve(output).toFile());
    return pb.start();
  }

  private String read(String name) throws IOException {
    return Files.readString(tmp.resolve(name), StandardCharsets.UTF_8);
  }

  /**
   * This test JVM's class path with every directory packed into a jar: a dynamic archive holds
   * classes from jars only, and refuses a class path with a non-empty directory on it.
   */
  private String jarredClassPath() throws IOException {
    List<String> entries = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (!Files.isDirectory(p)) {
        entries.add(entry);
        continue;
      }
      Path jar = tmp.resolve("classes-" + n++ + ".jar");
      try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file);
          Stream<Path> files = Files.walk(p)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          out.putNextEntry(new JarEntry(p.relativize(f).toString().replace(File.separatorChar, '/')));
          Files.copy(f, out);
          out.closeEntry();
        }
      }
      entries.add(jar.toString());
    }
    return String.join(File.pathSeparator, entries);
  }
}
