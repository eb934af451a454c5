package dev.parapet.runtime.testing;

import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.seal.Sealer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code dev.parapet.runtime.Main} in a child JVM, as an operator runs it: the environment in
 * (nothing {@code PARAPET_*} inherited from the test JVM), stdout and stderr to files, and the
 * health endpoint polled until the gateway answers.
 */
public final class ChildMain {
  private ChildMain() {}

  /** A loopback port free a moment ago (the child binds it; a race with another test is unlikely). */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * What a child needs to boot {@code config} sealed under {@code key}: blob, key, loopback bind,
   * {@code port} and {@code dataDir}. Mutable, so a test can add to it.
   */
  public static Map<String, String> sealedEnv(HydratedConfig config, MasterKey key, int port, Path dataDir) {
    Map<String, String> env = new HashMap<>();
    env.put("PARAPET_BOOTSTRAP_STATE", Sealer.seal(config, key, new SecureRandom()));
    env.put("PARAPET_MASTER_KEY", key.toBase64());
    env.put("PARAPET_PORT", Integer.toString(port));
    env.put("PARAPET_BIND", "127.0.0.1");
    env.put("PARAPET_DATA_DIR", dataDir.toString());
    return env;
  }

  /** Main on this test JVM's class path, stdout to {@code out} and stderr to {@code err}. */
  public static Process launch(Map<String, String> env, Path out, Path err, String... mainArgs) throws IOException {
    return launch(System.getProperty("java.class.path"), List.of(), env, out, err, mainArgs);
  }

  /**
   * Main on {@code classPath} with {@code jvmOptions}; stdout to {@code out}, stderr to {@code err}
   * or, when {@code err} is null, into {@code out} as well.
   */
  public static Process launch(String classPath, List<String> jvmOptions, Map<String, String> env, Path out, Path err,
      String... mainArgs) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(classPath);
    command.addAll(jvmOptions);
    command.add("dev.parapet.runtime.Main");
    command.addAll(List.of(mainArgs));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("PARAPET_"));
    pb.environment().putAll(env);
    pb.redirectOutput(out.toFile());
    if (err == null) {
      pb.redirectErrorStream(true);
    } else {
      pb.redirectError(err.toFile());
    }
    return pb.start();
  }

  /**
   * The child's first answer to {@code GET /_parapet/health}, polling every 100 ms up to {@code
   * tries} times while it lives; null if it never answered.
   */
  public static HttpResponse<String> awaitHealth(Process child, int port, int tries) throws InterruptedException {
    HttpClient client = HttpClient.newHttpClient();
    HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/_parapet/health")).build();
    for (int i = 0; i < tries && child.isAlive(); i++) {
      try {
        return client.send(health, HttpResponse.BodyHandlers.ofString());
      } catch (IOException notYet) {
        Thread.sleep(100);
      }
    }
    return null;
  }
}
