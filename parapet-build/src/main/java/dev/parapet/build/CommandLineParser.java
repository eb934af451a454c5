package dev.parapet.build;

import java.util.Optional;

/**
 * Turns {@code args} into one {@link Options} record. Hand-written on purpose: six commands and a
 * handful of flags do not earn a framework, and a switch keeps every accepted spelling visible.
 * Both {@code --flag value} and {@code --flag=value} are accepted.
 */
final class CommandLineParser {
  private CommandLineParser() {}

  static Options parse(String... args) throws UsageException {
    if (args.length == 0) {
      return new Options.Default();
    }
    String command = args[0];
    Cursor rest = new Cursor(args, 1);
    return switch (command) {
      case "help", "--help", "-h" -> noArguments(command, rest, new Options.Help());
      case "--version", "version" -> noArguments(command, rest, new Options.Version());
      case "init" -> parseInit(rest);
      case "validate" -> parseValidate(rest);
      case "build" -> parseBuild(rest);
      case "inspect" -> parseInspect(rest);
      case "diff" -> parseDiff(rest);
      default -> throw new UsageException("unknown command: " + quote(command));
    };
  }

  /** {@code help} and {@code --version} take nothing but, like every command, {@code --help}. */
  private static Options noArguments(String command, Cursor c, Options options) throws UsageException {
    if (!c.hasNext()) {
      return options;
    }
    String arg = c.next();
    if (arg.equals("--help") || arg.equals("-h")) {
      return new Options.Help();
    }
    throw unknownFlag(command, arg);
  }

  private static Options parseInit(Cursor c) throws UsageException {
    Optional<String> spec = Optional.empty();
    while (c.hasNext()) {
      String flag = c.flag();
      switch (flag) {
        case "--spec" -> spec = Optional.of(c.value(flag));
        case "--help", "-h" -> { return new Options.Help(); }
        default -> throw unknownFlag("init", c.current());
      }
    }
    return new Options.Init(spec);
  }

  private static Options parseValidate(Cursor c) throws UsageException {
    Optional<String> spec = Optional.empty();
    boolean fill = false;
    boolean write = false;
    while (c.hasNext()) {
      String flag = c.flag();
      switch (flag) {
        case "--spec" -> spec = Optional.of(c.value(flag));
        case "--fill" -> fill = c.noValue(flag);
        case "--write" -> write = c.noValue(flag);
        case "--help", "-h" -> { return new Options.Help(); }
        default -> throw unknownFlag("validate", c.current());
      }
    }
    if (write && !fill) {
      throw new UsageException("validate: --write needs --fill (there is nothing to write otherwise)");
    }
    return new Options.Validate(spec, fill, write);
  }

  private static Options parseBuild(Cursor c) throws UsageException {
    Optional<String> spec = Optional.empty();
    String secrets = "env";
    Optional<String> masterKeyFile = Optional.empty();
    Optional<String> out = Optional.empty();
    while (c.hasNext()) {
      String flag = c.flag();
      switch (flag) {
        case "--spec" -> spec = Optional.of(c.value(flag));
        case "--secrets" -> secrets = c.value(flag);
        case "--master-key-file" -> masterKeyFile = Optional.of(c.value(flag));
        case "--out" -> out = Optional.of(c.value(flag));
        case "--help", "-h" -> { return new Options.Help(); }
        default -> throw unknownFlag("build", c.current());
      }
    }
    return new Options.Build(spec, secrets, masterKeyFile, out);
  }

  private static Options parseInspect(Cursor c) throws UsageException {
    Optional<String> stateFile = Optional.empty();
    while (c.hasNext()) {
      String flag = c.flag();
      switch (flag) {
        case "--state-file" -> stateFile = Optional.of(c.value(flag));
        case "--help", "-h" -> { return new Options.Help(); }
        default -> throw unknownFlag("inspect", c.current());
      }
    }
    return new Options.Inspect(stateFile);
  }

  private static Options parseDiff(Cursor c) throws UsageException {
    String[] files = new String[2];
    int n = 0;
    while (c.hasNext()) {
      String arg = c.next();
      if (arg.equals("--help") || arg.equals("-h")) {
        return new Options.Help();
      }
      if (arg.startsWith("-") && !arg.equals("-")) {
        throw new UsageException("diff: unknown flag: " + quote(arg));
      }
      if (n == 2) {
        throw new UsageException("diff: expected exactly two state files, got more");
      }
      files[n++] = arg;
    }
    if (n != 2) {
      throw new UsageException("diff: expected two state files: OLD_STATE NEW_STATE");
    }
    return new Options.Diff(files[0], files[1]);
  }

  private static UsageException unknownFlag(String command, String arg) {
    String what = arg.startsWith("-") ? "unknown flag" : "unexpected argument";
    return new UsageException(command + ": " + what + ": " + quote(arg));
  }

  /** Quotes an argument for a message; arguments are not secrets, but keep them one bounded line. */
  private static String quote(String s) {
    return dev.parapet.core.config.Quoting.quote(s);
  }

  /** Walks the arguments after the command, splitting {@code --flag=value}. */
  private static final class Cursor {
    private final String[] args;
    private int next;
    private String current;
    private String inlineValue;

    Cursor(String[] args, int start) {
      this.args = args;
      this.next = start;
    }

    boolean hasNext() {
      return next < args.length;
    }

    String next() {
      current = args[next++];
      inlineValue = null;
      return current;
    }

    String current() {
      return current;
    }

    /** The next argument's flag name, with any {@code =value} set aside for {@link #value}. */
    String flag() {
      String arg = next();
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 2) {
        inlineValue = arg.substring(eq + 1);
        return arg.substring(0, eq);
      }
      return arg;
    }

    String value(String flag) throws UsageException {
      if (inlineValue != null) {
        if (inlineValue.isEmpty()) {
          throw new UsageException(flag + ": missing value");
        }
        return inlineValue;
      }
      if (!hasNext() || args[next].startsWith("--")) {
        throw new UsageException(flag + ": missing value");
      }
      return args[next++];
    }

    boolean noValue(String flag) throws UsageException {
      if (inlineValue != null) {
        throw new UsageException(flag + ": takes no value");
      }
      return true;
    }
  }
}
