package dev.parapet.build;

final class BuildCommand {
  private final CliContext cli;

  BuildCommand(CliContext cli) {
    this.cli = cli;
  }

  int run(Options.Build options) throws CommandFailure {
    throw new CommandFailure("not implemented yet");
  }
}
