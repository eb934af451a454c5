package dev.parapet.build;

import dev.parapet.core.config.SpecDocument;
import dev.parapet.core.config.SpecValidator;
import dev.parapet.core.config.ValidationResult;
import java.io.IOException;

/**
 * {@code validate [--spec F] [--fill] [--write]}: every problem at once, then a summary; exit 1 on
 * any error. With {@code --fill} the missing values are asked for (seed: "Validation / Completion
 * mode"); the completed spec goes back to the file only with {@code --write}, otherwise to stdout,
 * so nothing in git changes behind the operator's back.
 */
final class ValidateCommand {
  private final CliContext cli;

  ValidateCommand(CliContext cli) {
    this.cli = cli;
  }

  int run(Options.Validate options) throws CommandFailure {
    String shown = options.spec().orElse(Options.DEFAULT_SPEC);
    SpecDocument doc = SpecCheck.load(cli, shown);
    ValidationResult result = SpecValidator.validate(doc);
    if (!options.fill()) {
      SpecCheck.print(result.problems(), shown, cli.err());
      cli.err().println(SpecCheck.summary(result, shown));
      return result.isValid() ? Main.OK : Main.FAILED;
    }
    if (!doc.isEditable()) {
      SpecCheck.print(result.problems(), shown, cli.err());
      throw new CommandFailure(shown + " did not parse; fix the errors above before --fill");
    }
    SpecFiller filler = new SpecFiller(new Questions(cli.prompter()), shown);
    int filled = filler.fill(doc);
    result = SpecValidator.validate(doc);
    SpecCheck.print(result.problems(), shown, cli.err());
    cli.err().println(SpecCheck.summary(result, shown));
    if (!result.isValid()) {
      throw new CommandFailure(shown + ": still invalid after filling; nothing written");
    }
    if (filled == 0) {
      cli.err().println("Nothing was missing; " + shown + " left as it is.");
      return Main.OK;
    }
    String yaml = doc.toYaml();
    if (options.write()) {
      try {
        AtomicWrite.replacing(cli.resolve(shown), yaml);
      } catch (IOException e) {
        throw CommandFailure.io(shown, "write", e);
      }
      cli.err().println("Wrote the completed spec to " + shown + " (" + SpecCheck.count(filled, "value") + " filled).");
    } else {
      cli.out().print(yaml);
      cli.err().println("Completed spec printed above; " + shown + " was NOT written (add --write to save it).");
    }
    return Main.OK;
  }
}
