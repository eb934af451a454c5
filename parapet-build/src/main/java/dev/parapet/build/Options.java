package dev.parapet.build;

import java.util.Optional;

/**
 * What the operator asked for, one record per command. {@link CommandLineParser} is the only
 * producer; paths stay strings here and are resolved against the working directory by the
 * command, so tests can point a command at a temporary directory.
 */
sealed interface Options {

  /** {@code help}, {@code --help}, {@code -h}. */
  record Help() implements Options {}

  /** {@code --version}. */
  record Version() implements Options {}

  /** No arguments: wizard when {@code ./parapet.yaml} is absent, else validate then build. */
  record Default() implements Options {}

  /** {@code init [--spec F]}. */
  record Init(Optional<String> spec) implements Options {}

  /** {@code validate [--spec F] [--fill] [--write]}; {@code --write} requires {@code --fill}. */
  record Validate(Optional<String> spec, boolean fill, boolean write) implements Options {}

  /**
   * {@code build [--spec F] [--secrets env|prompt|FILE] [--master-key-file F] [--out F]}.
   *
   * @param secrets {@code env}, {@code prompt}, or a dotenv file path
   */
  record Build(
      Optional<String> spec, String secrets, Optional<String> masterKeyFile, Optional<String> out)
      implements Options {}

  /** {@code inspect [--state-file F]}; without a file the two values come from the environment. */
  record Inspect(Optional<String> stateFile) implements Options {}

  /** {@code diff OLD_STATE NEW_STATE}. */
  record Diff(String oldState, String newState) implements Options {}

  /** The default spec file name, relative to the working directory (SPEC §3). */
  String DEFAULT_SPEC = "parapet.yaml";
}
