package dev.parapet.build;

final class ValidateCommand {
  private final CliContext cli;

  ValidateCommand(CliContext cli) {
    this.cli = cli;
  }

  int run(Options.Validate options) throws CommandFailure {
    throw new CommandFailure("not implemented yet");
  }
}
