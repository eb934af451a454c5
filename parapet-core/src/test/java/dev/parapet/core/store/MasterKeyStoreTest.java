package dev.parapet.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.seal.KeyPurpose;
import dev.parapet.core.seal.MasterKey;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The boot path the runtime takes: both store keys derived from PARAPET_MASTER_KEY. */
class MasterKeyStoreTest {
  @TempDir Path dir;

  private static TelemetryStore openWith(Path dir, String masterKeyBase64) throws StoreException {
    try (MasterKey master = MasterKey.fromBase64(masterKeyBase64)) {
      byte[] storeKey = master.deriveKey(KeyPurpose.STORE);
      byte[] macKey = master.deriveKey(KeyPurpose.STORE_MAC);
      try {
        return TelemetryStore.open(dir, storeKey, macKey, StoreOptions.defaults());
      } finally {
        Arrays.fill(storeKey, (byte) 0);
        Arrays.fill(macKey, (byte) 0);
      }
    }
  }

  @Test
  void derivedKeysReopenAndAnotherMasterKeyDoesNot() throws Exception {
    String master;
    String other;
    try (MasterKey a = MasterKey.generate(new SecureRandom());
        MasterKey b = MasterKey.generate(new SecureRandom())) {
      master = a.toBase64();
      other = b.toBase64();
    }
    try (TelemetryStore store = openWith(dir, master)) {
      store.persistHold(StoreFixtures.hold("h", 10)).get(5, TimeUnit.SECONDS);
      store.persistSettlement(StoreFixtures.settle("h", 9));
      store.offerRequest(StoreFixtures.request("r", 9));
    }
    try (TelemetryStore store = openWith(dir, master)) {
      assertTrue(store.verifyChain().ok());
      assertEquals(9L, store.spendForDay(StoreFixtures.DAY).get(SpendKey.route("summarizer")));
    }
    StoreException e = assertThrows(StoreException.class, () -> openWith(dir, other));
    assertTrue(e.getMessage().contains("was not written with this master key"), e.getMessage());
  }
}
