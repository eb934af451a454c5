package dev.parapet.runtime.telemetry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.budget.Cost;
import dev.parapet.core.store.RequestRecord;
import dev.parapet.core.store.ReadOnlyStore;
import dev.parapet.core.store.StoreException;
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
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The commands that read the telemetry store with the gateway stopped, with the same two
 * environment variables as the gateway (and {@code PARAPET_DATA_DIR}). Both open the store read-only
 * ({@link ReadOnlyStore}): neither migrates, repairs (the broken-chain override is ignored here),
 * checkpoints or writes anything, so {@code parapet.db} and its {@code -wal} are left byte for
 * byte as they were; neither creates a store where there is none (a missing or empty file is an
 * error) or runs while a gateway holds the store's lock: stop it first, or read a copy of the data
 * directory.
 *
 * <ul>
 *   <li>{@code java -jar parapet-runtime.jar verify-store} reads every page of the store that
 *       holds data, through the write-ahead log a crash left if there is one, in one transaction
 *       (a page altered in the file or the log: its table and SQLite's error),
 *       then checks the hash chain. One line: on stdout {@code telemetry chain intact: N rows
 *       checked; every page of the store reads back as written} and exit 0; on stderr {@code
 *       parapet: verify-store: <what is damaged or where the chain broke, or why it could not be
 *       checked>} and exit 1.
 *   <li>{@code java -jar parapet-runtime.jar show-request <request-id>} prints one call's row (the
 *       {@code x-parapet-request-id} its answer carried) as one JSON object on stdout, exit 0: who,
 *       which route, models, tokens and cost as charged, latency, status, refusal code and
 *       enforcement notes. A row rolled up past the retention, or an unknown id: exit 1. Rows hold
 *       no prompt, answer, token or key, so neither can this.
 * </ul>
 */
public final class StoreVerification {
  private static final String STORE_FILE = "parapet.db";
  /** The gateway's request ids: 32 lower-case hex digits. Anything else is not looked up or echoed. */
  private static final Pattern REQUEST_ID = Pattern.compile("[0-9a-f]{32}");
  private static final ObjectMapper JSON = new ObjectMapper();

  private StoreVerification() {}

  /** {@code verify-store}. */
  public static int run(Map<String, String> env, PrintStream out, PrintStream err) {
    return withStore("verify-store", env, err, (store, dataDir) -> {
      Optional<String> damaged = store.damagedPage();
      if (damaged.isPresent()) {
        err.println("parapet: verify-store: " + TelemetryStore.damagedPage(dataDir, damaged.get()));
        return 1;
      }
      VerificationResult result = store.verifyChain();
      if (result.ok()) {
        out.println("telemetry chain intact: " + result.rowsChecked() + " rows checked;"
            + " every page of the store reads back as written");
        return 0;
      }
      err.println("parapet: verify-store: telemetry chain in " + dataDir + " is broken at seq "
          + result.brokenAtSeq().orElse(0L) + " ("
          + result.problem().map(p -> p.name().toLowerCase(Locale.ROOT)).orElse("?") + "): " + result.detail());
      return 1;
    });
  }

  /** {@code show-request <request-id>}. */
  public static int showRequest(String requestId, Map<String, String> env, PrintStream out, PrintStream err) {
    if (!REQUEST_ID.matcher(requestId).matches()) {
      err.println("parapet: show-request: expected a request id of 32 lower-case hex digits (x-parapet-request-id)");
      return 2;
    }
    return withStore("show-request", env, err, (store, dataDir) -> {
      Optional<RequestRecord> row = store.request(requestId);
      if (row.isEmpty()) {
        err.println("parapet: show-request: no row for request " + requestId
            + " (not a call of this store, or older than its retention and rolled up)");
        return 1;
      }
      out.println(json(row.get()));
      return 0;
    });
  }

  static String json(RequestRecord r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("time", r.time().toString());
    o.put("request_id", r.requestId());
    o.put("tenant", r.tenant());
    o.put("service", r.service());
    o.put("route", r.route());
    o.put("provider", r.provider());
    o.put("model_asked", r.modelAsked());
    r.modelReported().ifPresentOrElse(m -> o.put("model_reported", m), () -> o.putNull("model_reported"));
    o.put("tokens_in", r.tokensIn());
    o.put("tokens_out", r.tokensOut());
    o.put("cost_usd", Cost.toUsdText(r.costNanoUsd())); // as /_parapet/usage writes it
    o.put("latency_ms", r.latencyMicros() / 1000.0);
    o.put("status", r.status());
    r.errorCode().ifPresentOrElse(c -> o.put("error_code", c), () -> o.putNull("error_code"));
    r.notes().forEach(o.putArray("notes")::add);
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a row did not encode", e);
    }
  }

  /** What a command does with the open store (in {@code dataDir}); returns the exit code. */
  @FunctionalInterface
  private interface StoreCommand {
    int apply(ReadOnlyStore store, Path dataDir) throws StoreException, BootException;
  }

  private static int withStore(String name, Map<String, String> env, PrintStream err, StoreCommand command) {
    OpenedConfig opened = null;
    try {
      Path dataDir = Settings.fromEnv(env).dataDir();
      Path file = dataDir.resolve(STORE_FILE);
      if (!Files.isRegularFile(file) || Files.size(file) == 0) {
        err.println("parapet: " + name + ": no telemetry store in " + dataDir);
        return 1;
      }
      opened = new SealedStateOpener().open(env.get(Settings.BOOTSTRAP_STATE), env.get(Settings.MASTER_KEY));
      byte[] storeKey = opened.storeKey().utf8();
      byte[] macKey = opened.storeMacKey().utf8();
      try (ReadOnlyStore store = ReadOnlyStore.open(dataDir, storeKey, macKey)) {
        return command.apply(store, dataDir);
      } catch (StoreException e) {
        throw new BootException(e.getMessage());
      } finally {
        Arrays.fill(storeKey, (byte) 0);
        Arrays.fill(macKey, (byte) 0);
      }
    } catch (BootException e) {
      err.println("parapet: " + name + ": " + e.getMessage());
      return 1;
    } catch (java.io.IOException e) {
      err.println("parapet: " + name + ": cannot read " + STORE_FILE + ": " + e.getMessage());
      return 1;
    } catch (RuntimeException e) {
      // Never print an unexpected exception's message: it may quote decrypted bytes.
      err.println("parapet: " + name + ": failed (" + e.getClass().getSimpleName() + ")");
      return 1;
    } finally {
      if (opened != null) {
        opened.destroySecrets();
      }
    }
  }
}
