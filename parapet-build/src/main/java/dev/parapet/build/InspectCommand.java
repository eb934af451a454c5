package dev.parapet.build;

final class InspectCommand {
  private final CliContext cli;

  InspectCommand(CliContext cli) {
    this.cli = cli;
  }

  int run(Options.Inspect options) throws CommandFailure {
    throw new CommandFailure("not implemented yet");
  }
}
