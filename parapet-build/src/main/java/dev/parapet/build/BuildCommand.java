package dev.parapet.build;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.seal.Hydration;
import dev.parapet.core.seal.Hydrator;
import dev.parapet.core.seal.MissingSecretsException;
import dev.parapet.core.seal.Sealer;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code build}: validate, resolve every {@code *_ref}, seal, and emit the two deployment values
 * as env-file lines ({@code docker run --env-file}). Everything that can be wrong is checked
 * before anything is written — an invalid spec, a bad key, every missing secret at once — so a
 * failed build never leaves a half-usable state file.
 *
 * <p>stdout (or {@code --out}) carries only the two lines; the checksum, the names of the resolved
 * secrets and any warnings go to stderr. Secret values appear in neither.
 */
final class BuildCommand {
  static final String STATE_VARIABLE = StateInput.STATE_VARIABLE;

  private final CliContext cli;

  BuildCommand(CliContext cli) {
    this.cli = cli;
  }

  int run(Options.Build options) throws CommandFailure {
    String shown = options.spec().orElse(Options.DEFAULT_SPEC);
    PrintStream err = cli.err();
    ParapetSpec spec = SpecCheck.requireValid(SpecCheck.load(cli, shown), shown, err);
    // All are checked before failing, so a broken secrets file, a bad key and an unwritable --out
    // show up together; and before any secret is asked for, so nobody types secrets into a
    // doomed build.
    List<String> problems = new ArrayList<>();
    SecretLookup lookup = null;
    MasterKeyChoice choice = null;
    try {
      lookup = SecretLookup.forOption(options.secrets(), cli);
    } catch (CommandFailure e) {
      problems.addAll(e.lines());
    }
    try {
      choice = MasterKeyChoice.resolve(options, cli);
    } catch (CommandFailure e) {
      problems.addAll(e.lines());
    }
    if (options.out().isPresent()) {
      // Before any secret is asked for: an --out that is a directory would fail only at the end.
      try {
        AtomicWrite.requireFileTarget(cli.resolve(options.out().get()));
      } catch (IOException e) {
        problems.addAll(CommandFailure.io(options.out().get(), "write", e).lines());
      }
    }
    if (!problems.isEmpty()) {
      if (choice != null) {
        choice.key().close();
      }
      problems.add("nothing written");
      throw new CommandFailure(problems);
    }
    try (var key = choice.key()) {
      Hydration hydration = hydrate(spec, lookup);
      try {
        String blob = Sealer.seal(hydration.config(), key, cli.random());
        String sha = Sealer.configSha256(hydration.config());
        String lines = STATE_VARIABLE + "=" + blob + "\n" + MasterKeyText.VARIABLE + "=" + key.toBase64() + "\n";
        write(options.out(), lines);
        err.println("config_sha256=" + sha);
        err.println("resolved secrets (from " + lookup.description() + "): " + String.join(", ", spec.secretRefs()));
        hydration.warnings().forEach(w -> err.println("warning: " + w));
        if (choice.generated()) {
          err.println("A new master key was generated. Keep it with the state: the runtime needs both, "
              + "and reuse it (--master-key-file) for the next build of this environment.");
        } else {
          err.println("master key: " + choice.origin());
        }
        options.out().ifPresent(f -> err.println("wrote " + f + " (mode 0600)"));
      } finally {
        hydration.config().destroySecrets();
      }
    }
    return Main.OK;
  }

  private Hydration hydrate(ParapetSpec spec, SecretLookup lookup) throws CommandFailure {
    try {
      return Hydrator.hydrate(spec, ref -> {
        try {
          return lookup.find(ref);
        } catch (CommandFailure e) {
          throw new LookupFailed(e);
        }
      });
    } catch (LookupFailed e) {
      throw e.failure;
    } catch (MissingSecretsException e) {
      List<String> lines = new ArrayList<>();
      e.problems().forEach(p -> lines.add("secret " + p));
      if (!e.missing().isEmpty()) {
        lines.add(SpecCheck.count(e.missing().size(), "secret") + " missing from "
            + lookup.description() + ": " + String.join(", ", e.missing()) + "; nothing written");
      } else {
        lines.add("refused secrets; nothing written");
      }
      throw new CommandFailure(lines);
    }
  }

  private void write(Optional<String> out, String lines) throws CommandFailure {
    if (out.isEmpty()) {
      cli.out().print(lines);
      cli.out().flush();
      return;
    }
    try {
      AtomicWrite.privately(cli.resolve(out.get()), lines);
    } catch (IOException e) {
      throw CommandFailure.io(out.get(), "write", e);
    }
  }

  /** Carries a prompt's "input ended" out of the Hydrator's unchecked callback. */
  private static final class LookupFailed extends RuntimeException {
    final CommandFailure failure;

    LookupFailed(CommandFailure failure) {
      super(null, null, false, false);
      this.failure = failure;
    }
  }
}
