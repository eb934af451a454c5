package dev.parapet.build;

import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.OpenedState;
import java.io.PrintStream;
import java.util.List;

/**
 * {@code diff OLD_STATE NEW_STATE}: what a rollout changes, for review before it happens. Policy
 * changes are printed in the spec's terms; secrets only as {@code changed}/{@code unchanged} per
 * ref ({@link SecretComparison}). Differences are the expected outcome, so they exit 0; only a
 * state that cannot be opened exits 1.
 */
final class DiffCommand {
  private final CliContext cli;

  DiffCommand(CliContext cli) {
    this.cli = cli;
  }

  int run(Options.Diff options) throws CommandFailure {
    OpenedState older = StateOpening.open(StateInput.fromFile(cli, options.oldState()));
    try {
      OpenedState newer = StateOpening.open(StateInput.fromFile(cli, options.newState()));
      try {
        print(older, newer);
      } finally {
        newer.config().destroySecrets();
      }
    } finally {
      older.config().destroySecrets();
    }
    return Main.OK;
  }

  private void print(OpenedState older, OpenedState newer) throws CommandFailure {
    PrintStream out = cli.out();
    out.println("old config_sha256=" + older.configSha256());
    out.println("new config_sha256=" + newer.configSha256());
    HydratedConfig a = older.config();
    HydratedConfig b = newer.config();
    List<String> policy = PolicyTree.diff(PolicyTree.of(a), PolicyTree.of(b));
    List<String> secrets = SecretComparison.compare(a, b);
    if (older.configSha256().equals(newer.configSha256())) {
      out.println("identical configs");
    } else if (policy.isEmpty()) {
      out.println("policy: no changes");
    } else {
      out.println("policy: " + SpecCheck.count(policy.size(), "change"));
      policy.forEach(line -> out.println("  " + line));
    }
    out.println("secrets (values never shown):");
    secrets.forEach(line -> out.println("  " + line));
  }
}
