package dev.parapet.build;

import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;

/**
 * Everything a command may touch of the outside world, passed in so tests never use the real
 * environment, the real console or the process's working directory.
 *
 * @param out data only: env lines, YAML, summaries
 * @param err diagnostics: problems, checksums, names of resolved secrets
 * @param env the environment (secret refs, {@code PARAPET_MASTER_KEY})
 * @param workingDir what relative paths are resolved against
 */
record CliContext(
    PrintStream out,
    PrintStream err,
    Map<String, String> env,
    Path workingDir,
    Prompter prompter,
    SecureRandom random) {

  Path resolve(String path) {
    return workingDir.resolve(path).normalize();
  }
}
