package dev.parapet.build;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code init}: runs the {@link Wizard} and writes a starter spec. It never overwrites: a spec in
 * git is the source of truth, and losing it to a stray {@code init} would be worse than asking
 * the operator to move it first. The existence check happens before any question (so nobody types
 * twenty answers for nothing) and again, atomically, at write time.
 */
final class InitCommand {
  private final CliContext cli;

  InitCommand(CliContext cli) {
    this.cli = cli;
  }

  int run(Options.Init options) throws CommandFailure {
    String shown = options.spec().orElse(Options.DEFAULT_SPEC);
    Path target = cli.resolve(shown);
    if (Files.exists(target)) {
      throw refuse(shown);
    }
    StarterSpec starter = new Wizard(new Questions(cli.prompter())).run();
    String yaml = starter.toYaml();
    SpecCheck.requireValid(yaml, shown);
    try {
      AtomicWrite.creatingNew(target, yaml);
    } catch (FileAlreadyExistsException e) {
      throw refuse(shown);
    } catch (IOException e) {
      throw CommandFailure.io(shown, "write", e);
    }
    PrintStream out = cli.out();
    out.println("Wrote " + shown + ".");
    out.println("Create these secrets in your secret manager: " + String.join(", ", starter.secretRefs()));
    out.println("Do not commit their values; only the ref names go in " + target.getFileName() + ".");
    out.println("Tokens and passwords can be generated with: openssl rand -base64 32");
    out.println("Then: parapet-build build --secrets env --out parapet.env");
    return Main.OK;
  }

  private static CommandFailure refuse(String shown) {
    return new CommandFailure(shown + " already exists; refusing to overwrite it "
        + "(edit it, or run 'parapet-build validate --fill --write')");
  }
}
