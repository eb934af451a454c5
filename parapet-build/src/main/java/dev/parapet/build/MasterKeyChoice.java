package dev.parapet.build;

import dev.parapet.core.seal.MasterKey;

/**
 * Which master key {@code build} seals with: {@code --master-key-file}, else the environment's
 * {@code PARAPET_MASTER_KEY}, else a new one. Reusing an environment's key is what lets the same
 * spec and secrets give the same deployment values; a fresh key is the safe default for a first
 * build.
 */
record MasterKeyChoice(MasterKey key, String origin, boolean generated) {

  static MasterKeyChoice resolve(Options.Build options, CliContext cli) throws CommandFailure {
    if (options.masterKeyFile().isPresent()) {
      String file = options.masterKeyFile().get();
      return new MasterKeyChoice(parse(MasterKeyText.fromFile(cli.resolve(file), file), file), file, false);
    }
    var fromEnv = MasterKeyText.fromEnvironment(cli.env());
    if (fromEnv.isPresent()) {
      return new MasterKeyChoice(parse(fromEnv.get(), "the environment"), "the environment", false);
    }
    return new MasterKeyChoice(MasterKey.generate(cli.random()), "newly generated", true);
  }

  static MasterKey parse(String base64, String origin) throws CommandFailure {
    try {
      return MasterKey.fromBase64(base64);
    } catch (IllegalArgumentException e) {
      // MasterKey's messages never repeat the value.
      throw new CommandFailure(origin + ": " + e.getMessage());
    }
  }
}
