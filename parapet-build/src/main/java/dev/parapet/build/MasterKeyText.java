package dev.parapet.build;

import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Finds the base64 master key text in a {@code --master-key-file}: either the bare key (what
 * {@code head -c 32 /dev/urandom | base64 > master.key} makes) or an env file with a
 * {@code PARAPET_MASTER_KEY=} line — such as the output of a previous {@code build}, so the same
 * key can be reused for the next build of that environment.
 */
final class MasterKeyText {
  static final String VARIABLE = "PARAPET_MASTER_KEY";
  private static final Pattern ENV_LINE =
      Pattern.compile("(?m)^\\s*(export\\s+)?" + VARIABLE + "\\s*=");

  private MasterKeyText() {}

  static String fromFile(Path file, String shownAs) throws CommandFailure {
    String text = EnvFile.readText(file, shownAs, "a base64 master key, such as head -c 32 /dev/urandom | base64"
        + " makes, or a " + VARIABLE + "= line");
    if (ENV_LINE.matcher(text).find()) {
      return fromEnv(EnvFile.parse(text, shownAs).values().get(VARIABLE), shownAs);
    }
    String key = text.strip();
    if (key.isEmpty()) {
      throw new CommandFailure(shownAs + ": empty (expected: a base64 master key or a " + VARIABLE + "= line)");
    }
    if (key.lines().count() > 1) {
      throw new CommandFailure(shownAs + ": more than one line and no " + VARIABLE
          + "= line (expected: a base64 master key or a " + VARIABLE + "= line)");
    }
    return key;
  }

  /** The key text from the environment, if set and non-empty. */
  static Optional<String> fromEnvironment(java.util.Map<String, String> env) {
    String v = env.get(VARIABLE);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.strip());
  }

  private static String fromEnv(String value, String shownAs) throws CommandFailure {
    if (value == null || value.isBlank()) {
      throw new CommandFailure(shownAs + ": " + VARIABLE + " is empty (expected: a base64 master key)");
    }
    return value.strip();
  }
}
