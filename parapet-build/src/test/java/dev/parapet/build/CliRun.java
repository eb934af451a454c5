package dev.parapet.build;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/** Runs the CLI in-process with captured streams, an injected environment and working directory. */
record CliRun(int exit, String out, String err) {

  static CliRun run(Path dir, Map<String, String> env, String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      exit = Main.run(
          new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), o, e, env, dir, args);
    }
    return new CliRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static CliRun run(Path dir, String... args) {
    return run(dir, Map.of(), "", args);
  }

  String all() {
    return out + err;
  }

  @Override
  public String toString() {
    return "exit=" + exit + "\n--- out\n" + out + "\n--- err\n" + err;
  }
}
