package dev.parapet.build;

/** The help text and version: what {@code --help} prints and what a usage error points to. */
final class Usage {
  static final String HINT = "Run 'parapet-build --help' for usage.";

  static final String TEXT =
      """
      Usage: parapet-build [COMMAND] [OPTIONS]

      parapet.yaml (no secrets) + your secrets -> PARAPET_BOOTSTRAP_STATE + PARAPET_MASTER_KEY.

      Commands:
        (none)                 parapet.yaml absent: run the wizard; present: validate, then build
        init     [--spec F]    interactive wizard; writes a starter spec (never overwrites)
        validate [--spec F] [--fill] [--write]
                               list every problem; --fill asks for missing values,
                               --write saves the completed spec (needs --fill)
        build    [--spec F] [--secrets env|prompt|FILE] [--master-key-file F] [--out F]
                               resolve the *_ref secrets, seal, print two env lines
                               (to --out, created with mode 0600, or stdout)
        inspect  [--state-file F]
                               open a sealed state and summarize it, secrets masked
        diff     OLD_STATE NEW_STATE
                               policy changes between two state files, secrets as changed/unchanged
        help, --help           this text
        --version              print the version

      Secrets (build --secrets): env (default) reads each ref from the environment; FILE reads a
      dotenv file (KEY=VALUE, '#' comments, quotes, no interpolation); prompt asks without echo.
      Master key: --master-key-file (a base64 key or a file with PARAPET_MASTER_KEY=...), else the
      PARAPET_MASTER_KEY environment variable, else a new key is generated.

      Exit codes: 0 ok, 1 invalid spec / missing secret / wrong key / bad state / IO error,
      2 usage error.
      """;

  private Usage() {}

  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v != null ? v : "0.1.0-SNAPSHOT";
  }
}
