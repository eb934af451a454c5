package dev.parapet.runtime.telemetry;

import dev.parapet.core.store.HoldRecord;
import dev.parapet.core.store.StoreException;
import dev.parapet.core.store.StoreOptions;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.boot.BootException;
import dev.parapet.runtime.boot.OpenedConfig;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the encrypted telemetry store in {@code PARAPET_DATA_DIR} during boot, before any port
 * opens: {@link TelemetryStore#open} verifies the chain and checks the ledger's pages (and the whole
 * file after a crash) on a connection that cannot write, so one altered in the file or its
 * write-ahead log refuses to boot and is left as it was; then every hold a crashed process left open is
 * settled at its worst case, so a crash loop can never reset a cap. A broken chain
 * refuses to boot unless the operator sets {@value #ACCEPT_BROKEN_CHAIN}{@code =yes} after
 * reading the log line that says where it broke.
 */
public final class StoreBoot {
  public static final String ACCEPT_BROKEN_CHAIN = "PARAPET_ACCEPT_BROKEN_CHAIN";
  private static final Logger LOG = LoggerFactory.getLogger("parapet.boot");

  private StoreBoot() {}

  /**
   * @param maxOpenHolds budget holds the store accepts at once: one per request in flight, so the
   *     connection cap ({@code PARAPET_MAX_CONNECTIONS}), never a lower number of its own
   */
  public static OpenedStore open(
      Path dataDir, int maxOpenHolds, OpenedConfig opened, Map<String, String> env)
      throws BootException {
    StoreOptions options = StoreOptions.defaults()
        .withMaxOpenHolds(maxOpenHolds)
        .withAcceptBrokenChain(acceptBrokenChain(env));
    byte[] storeKey = opened.storeKey().utf8();
    byte[] macKey = opened.storeMacKey().utf8();
    // The chain protects the rows, not the ledger; and a page altered in the file reads back
    // altered, without an error: the open reads every page the caps and the hold recovery start
    // from (and, after a crash, every page), before anything can write.
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    TelemetryStore store;
    try {
      store = TelemetryStore.open(dataDir, storeKey, macKey, options, today);
    } catch (StoreException e) {
      // Store messages name the directory and the reason, never key material.
      throw new BootException("telemetry store: " + e.getMessage());
    } finally {
      Arrays.fill(storeKey, (byte) 0);
      Arrays.fill(macKey, (byte) 0);
    }
    List<HoldRecord> recovered = step(store, "cannot recover open holds", store::recoverOpenHolds);
    if (!recovered.isEmpty()) {
      LOG.warn("settled {} budget holds left open by the previous process at their worst case",
          recovered.size());
    }
    // The caps start from today's spend: one below what the chained rows show was spent would give
    // a route or tenant its budget again. Raised back, not refused: a crash between a row's commit
    // and its settlement's can leave a spend a little below its rows (an estimated prompt that ran
    // past its hold), which must not keep the gateway down, and the higher figure only ever
    // overcharges. (A page altered in the file was refused above; should the raise still fail,
    // the boot is refused too, as the gateway could not settle a call on that page either.)
    Optional<String> below = step(store, "cannot check today's spend", () -> store.spendBelowRows(today));
    if (below.isPresent()) {
      int raised;
      try {
        raised = store.raiseSpendToRows(today);
      } catch (StoreException | RuntimeException e) {
        store.close();
        throw new BootException("telemetry store: today's spend in " + dataDir + " is below what its chained rows"
            + " were charged (" + below.get() + ") and cannot be raised back (" + e.getMessage()
            + "): the file was altered or damaged; restore the data directory from a backup");
      }
      LOG.error("telemetry store: today's spend in {} is below what its chained rows were charged ({});"
          + " raised {} figures to the rows' sums", dataDir, below.get(), raised);
    }
    return new OpenedStore(store, recovered);
  }

  @FunctionalInterface
  private interface StoreStep<T> {
    T run() throws StoreException;
  }

  /** Runs one boot step on the open store; on failure closes it and refuses to boot. */
  private static <T> T step(TelemetryStore store, String failure, StoreStep<T> step) throws BootException {
    try {
      return step.run();
    } catch (StoreException | RuntimeException e) {
      store.close();
      throw new BootException("telemetry store: " + failure + ": " + e.getMessage());
    }
  }

  private static boolean acceptBrokenChain(Map<String, String> env) throws BootException {
    String value = env.getOrDefault(ACCEPT_BROKEN_CHAIN, "");
    return switch (value) {
      case "" , "no" -> false;
      case "yes" -> true;
      default -> throw new BootException(ACCEPT_BROKEN_CHAIN + ": expected yes or no");
    };
  }
}
