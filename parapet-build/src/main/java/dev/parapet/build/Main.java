package dev.parapet.build;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;

/**
 * {@code parapet-build}: parapet.yaml plus secrets in, sealed bootstrap state out (SPEC §3).
 *
 * <p>Exit codes: 0 done; 1 the command could not do its job (invalid spec, missing secret, wrong
 * key, bad blob, IO failure) with every problem named on stderr and nothing written; 2 the command
 * line itself is wrong.
 */
public final class Main {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(System.in, System.out, System.err, System.getenv(), Path.of(""), args));
  }

  /** The conventions' entry point: real environment, process working directory. */
  static int run(InputStream in, PrintStream out, PrintStream err, String... args) {
    return run(in, out, err, System.getenv(), Path.of(""), args);
  }

  /**
   * Runs one command. {@code env} and {@code workingDir} are injected so tests drive the CLI
   * without touching the real environment; a real console is used only when {@code in} is the
   * process's own stdin and a terminal is attached.
   */
  static int run(
      InputStream in,
      PrintStream out,
      PrintStream err,
      Map<String, String> env,
      Path workingDir,
      String... args) {
    Options options;
    try {
      options = CommandLineParser.parse(args);
    } catch (UsageException e) {
      err.println("parapet-build: " + e.getMessage());
      err.println(Usage.HINT);
      return USAGE;
    }
    Prompter prompter =
        (in == System.in && System.console() != null)
            ? new ConsolePrompter(System.console())
            : new StreamPrompter(in, err);
    CliContext cli =
        new CliContext(out, err, Map.copyOf(env), workingDir.toAbsolutePath(), prompter, new SecureRandom());
    try {
      return dispatch(options, cli);
    } catch (CommandFailure e) {
      e.lines().forEach(line -> err.println("parapet-build: " + line));
      return FAILED;
    } catch (RuntimeException e) {
      // A bug, not an operator error. Its message could quote anything it was handed, secrets
      // included, so only the type is shown.
      err.println("parapet-build: internal error (" + e.getClass().getName() + "); nothing written");
      return FAILED;
    } finally {
      out.flush();
      err.flush();
    }
  }

  private static int dispatch(Options options, CliContext cli) throws CommandFailure {
    // Java 17 has no pattern switch yet; the sealed interface still keeps this list complete.
    if (options instanceof Options.Help) {
      cli.out().print(Usage.TEXT);
      return OK;
    } else if (options instanceof Options.Version) {
      cli.out().println("parapet-build " + Usage.version());
      return OK;
    } else if (options instanceof Options.Default) {
      return runDefault(cli);
    } else if (options instanceof Options.Init init) {
      return new InitCommand(cli).run(init);
    } else if (options instanceof Options.Validate validate) {
      return new ValidateCommand(cli).run(validate);
    } else if (options instanceof Options.Build build) {
      return new BuildCommand(cli).run(build);
    } else if (options instanceof Options.Inspect inspect) {
      return new InspectCommand(cli).run(inspect);
    } else if (options instanceof Options.Diff diff) {
      return new DiffCommand(cli).run(diff);
    }
    throw new IllegalStateException("unhandled options: " + options.getClass().getSimpleName());
  }

  /** No arguments (SPEC §3): the wizard when there is no spec yet, else validate, then build. */
  private static int runDefault(CliContext cli) throws CommandFailure {
    Path spec = cli.resolve(Options.DEFAULT_SPEC);
    if (!Files.exists(spec)) {
      cli.err().println("No " + Options.DEFAULT_SPEC + " here: starting the setup wizard.");
      return new InitCommand(cli).run(new Options.Init(Optional.empty()));
    }
    // build validates first and lists every problem; running validate before it would print
    // each warning twice.
    cli.err().println(Options.DEFAULT_SPEC + " found: validating, then building with secrets from the environment.");
    return new BuildCommand(cli)
        .run(new Options.Build(Optional.empty(), "env", Optional.empty(), Optional.empty()));
  }
}
