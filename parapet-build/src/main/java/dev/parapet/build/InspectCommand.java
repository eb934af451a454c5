package dev.parapet.build;

import dev.parapet.core.seal.OpenedState;

/**
 * {@code inspect [--state-file F]}: proves what a state holds without revealing a secret — the
 * checksum the runtime will log, and the policy in readable form with every secret masked.
 */
final class InspectCommand {
  private final CliContext cli;

  InspectCommand(CliContext cli) {
    this.cli = cli;
  }

  int run(Options.Inspect options) throws CommandFailure {
    StateInput input =
        options.stateFile().isPresent()
            ? StateInput.fromFile(cli, options.stateFile().get())
            : StateInput.fromEnvironment(cli);
    OpenedState opened = StateOpening.open(input);
    try {
      cli.out().println("config_sha256=" + opened.configSha256());
      StateSummary.print(opened.config(), cli.out());
    } finally {
      opened.config().destroySecrets();
    }
    return Main.OK;
  }
}
