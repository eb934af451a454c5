package dev.parapet.build;

import java.util.Map;
import java.util.Optional;

/**
 * The two values a runtime boots from, as {@code inspect} and {@code diff} find them: in a state
 * file (the env-file {@code build} writes) or in the environment. A file without a
 * {@code PARAPET_MASTER_KEY} line takes the key from the environment, so the blob and the key can
 * be kept apart.
 */
record StateInput(String sealedState, String masterKey, String shownAs) {
  static final String STATE_VARIABLE = "PARAPET_BOOTSTRAP_STATE";

  /** Reads {@code file} (shown in messages as {@code shownAs}), falling back to {@code env} for the key. */
  static StateInput fromFile(CliContext cli, String file) throws CommandFailure {
    Map<String, String> values = EnvFile.read(cli.resolve(file), file).values();
    String state = values.get(STATE_VARIABLE);
    if (state == null || state.isBlank()) {
      throw new CommandFailure(file + ": no " + STATE_VARIABLE + "= line (expected: the output of 'parapet-build build')");
    }
    Optional<String> key = Optional.ofNullable(values.get(MasterKeyText.VARIABLE))
        .filter(v -> !v.isBlank())
        .or(() -> MasterKeyText.fromEnvironment(cli.env()));
    if (key.isEmpty()) {
      throw new CommandFailure(file + ": no " + MasterKeyText.VARIABLE
          + "= line and none in the environment (expected: the key the state was sealed with)");
    }
    return new StateInput(state.strip(), key.get().strip(), file);
  }

  static StateInput fromEnvironment(CliContext cli) throws CommandFailure {
    String state = cli.env().get(STATE_VARIABLE);
    Optional<String> key = MasterKeyText.fromEnvironment(cli.env());
    if (state == null || state.isBlank() || key.isEmpty()) {
      StringBuilder missing = new StringBuilder();
      if (state == null || state.isBlank()) {
        missing.append(STATE_VARIABLE);
      }
      if (key.isEmpty()) {
        missing.append(missing.length() > 0 ? " and " : "").append(MasterKeyText.VARIABLE);
      }
      throw new CommandFailure("no --state-file and " + missing + " not set in the environment");
    }
    return new StateInput(state.strip(), key.get(), "the environment");
  }
}
