package dev.parapet.build;

final class DiffCommand {
  private final CliContext cli;

  DiffCommand(CliContext cli) {
    this.cli = cli;
  }

  int run(Options.Diff options) throws CommandFailure {
    throw new CommandFailure("not implemented yet");
  }
}
