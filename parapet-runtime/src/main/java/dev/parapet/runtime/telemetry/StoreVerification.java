package dev.parapet.runtime.telemetry;

import dev.parapet.core.store.StoreException;
import dev.parapet.core.store.StoreOptions;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.core.store.VerificationResult;
import dev.parapet.runtime.boot.BootException;
import dev.parapet.runtime.boot.OpenedConfig;
import dev.parapet.runtime.boot.SealedStateOpener;
import dev.parapet.runtime.boot.Settings;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * {@code java -jar parapet-runtime.jar verify-store}: checks the telemetry store's hash chain on
 * demand, with the same two environment variables as the gateway (and {@code PARAPET_DATA_DIR}).
 * Prints one line — on stdout {@code telemetry chain intact: N rows checked} and exit 0; on stderr
 * {@code parapet: verify-store: <where and how it broke, or why it could not be checked>} and exit
 * 1. It never repairs anything (the broken-chain override is ignored here), never creates a store
 * where there is none, and cannot run while a gateway holds the store's lock: stop it first, or
 * verify a copy of the data directory.
 */
public final class StoreVerification {
  private static final String STORE_FILE = "parapet.db";

  private StoreVerification() {}

  public static int run(Map<String, String> env, PrintStream out, PrintStream err) {
    OpenedConfig opened = null;
    try {
      Path dataDir = Settings.fromEnv(env).dataDir();
      if (!Files.isRegularFile(dataDir.resolve(STORE_FILE))) {
        err.println("parapet: verify-store: no telemetry store in " + dataDir);
        return 1;
      }
      opened = new SealedStateOpener().open(env.get(Settings.BOOTSTRAP_STATE), env.get(Settings.MASTER_KEY));
      VerificationResult result = verify(dataDir, opened);
      if (result.ok()) {
        out.println("telemetry chain intact: " + result.rowsChecked() + " rows checked");
        return 0;
      }
      err.println("parapet: verify-store: telemetry chain in " + dataDir + " is broken at seq "
          + result.brokenAtSeq().orElse(0L) + " ("
          + result.problem().map(p -> p.name().toLowerCase(Locale.ROOT)).orElse("?") + "): " + result.detail());
      return 1;
    } catch (BootException e) {
      err.println("parapet: verify-store: " + e.getMessage());
      return 1;
    } catch (RuntimeException e) {
      // Never print an unexpected exception's message: it may quote decrypted bytes.
      err.println("parapet: verify-store: failed (" + e.getClass().getSimpleName() + ")");
      return 1;
    } finally {
      if (opened != null) {
        opened.destroySecrets();
      }
    }
  }

  private static VerificationResult verify(Path dataDir, OpenedConfig opened) throws BootException {
    byte[] storeKey = opened.storeKey().utf8();
    byte[] macKey = opened.storeMacKey().utf8();
    // Opening verifies the chain too: a break is reported by the open, in the same words.
    try (TelemetryStore store = TelemetryStore.open(dataDir, storeKey, macKey, StoreOptions.defaults())) {
      return store.verifyChain();
    } catch (StoreException e) {
      throw new BootException(e.getMessage());
    } finally {
      Arrays.fill(storeKey, (byte) 0);
      Arrays.fill(macKey, (byte) 0);
    }
  }
}
