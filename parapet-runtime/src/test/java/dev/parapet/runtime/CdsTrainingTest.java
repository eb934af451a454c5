package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.seal.Sealer;
import dev.parapet.runtime.testing.ChildMain;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.TestConfigs;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
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
    Process training = ChildMain.launch(classPath,
        List.of("-Xlog:cds=error", "-XX:ArchiveClassesAtExit=" + archive), Map.of(), tmp.resolve("train.txt"), null,
        "train-cds");
    assertTrue(training.waitFor(120, TimeUnit.SECONDS), "the training did not end");
    assertEquals(0, training.exitValue(), read("train.txt"));
    assertTrue(Files.size(archive) > 1_000_000, "archive of " + Files.size(archive) + " bytes");

    HydratedConfig config = TestConfigs.config();
    int port = ChildMain.freePort();
    Process gateway = ChildMain.launch(classPath, List.of("-Xshare:on", "-XX:SharedArchiveFile=" + archive),
        ChildMain.sealedEnv(config, MasterKey.generate(new SecureRandom()), port, tmp.resolve("data")),
        tmp.resolve("gateway.txt"), null);
    try {
      HttpResponse<String> health = ChildMain.awaitHealth(gateway, port, 300);
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
