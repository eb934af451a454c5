package dev.parapet.build;

import java.util.Map;
import java.util.Optional;

/**
 * Where {@code build} finds the value behind each {@code *_ref}: the environment (default), a
 * dotenv file, or a no-echo prompt. An empty value counts as absent: an empty provider key or
 * token is always a mistake, and catching it here names the ref instead of failing at runtime.
 */
interface SecretLookup {

  /** The value for {@code ref}, as a fresh array the caller zeroes; empty when there is none. */
  Optional<char[]> find(String ref) throws CommandFailure;

  /** What to call this source in messages ("the environment", "secrets.env", "the prompt"). */
  String description();

  static SecretLookup ofMap(Map<String, String> values, String description) {
    return new SecretLookup() {
      @Override
      public Optional<char[]> find(String ref) {
        String v = values.get(ref);
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.toCharArray());
      }

      @Override
      public String description() {
        return description;
      }
    };
  }

  static SecretLookup prompting(Prompter prompter) {
    return new SecretLookup() {
      @Override
      public Optional<char[]> find(String ref) throws CommandFailure {
        char[] value = prompter.secret("Value of " + ref + " (not echoed): ");
        return value.length == 0 ? Optional.empty() : Optional.of(value);
      }

      @Override
      public String description() {
        return "the prompt";
      }
    };
  }

  /** {@code --secrets env|prompt|FILE}. */
  static SecretLookup forOption(String option, CliContext cli) throws CommandFailure {
    return switch (option) {
      case "env" -> ofMap(cli.env(), "the environment");
      case "prompt" -> prompting(cli.prompter());
      default -> ofMap(EnvFile.read(cli.resolve(option), option).values(), option);
    };
  }
}
