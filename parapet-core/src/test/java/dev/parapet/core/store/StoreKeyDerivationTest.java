package dev.parapet.core.store;

import static dev.parapet.core.store.StoreFixtures.MAC_KEY;
import static dev.parapet.core.store.StoreFixtures.STORE_KEY;
import static dev.parapet.core.store.StoreFixtures.flush;
import static dev.parapet.core.store.StoreFixtures.hold;
import static dev.parapet.core.store.StoreFixtures.open;
import static dev.parapet.core.store.StoreFixtures.request;
import static dev.parapet.core.store.StoreFixtures.settle;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.mc.SQLiteMCChacha20Config;
import org.sqlite.mc.SQLiteMCConfig;

/**
 * The cipher's key is derived from the store key with one PBKDF2 iteration in a store created now,
 * with SQLite3MC's default (64,007) in one an older build created; the file does not say which.
 * An older store opens, every connection of the open uses its derivation, and it is never
 * rewritten with the other; a wrong key or an altered first page is refused with the same line
 * either way.
 */
class StoreKeyDerivationTest {
  @TempDir Path dir;

  /** Keyed exactly as every connection was before stores were created with one iteration. */
  private static SQLiteMCConfig asOlderBuilds(boolean readOnly) {
    SQLiteMCConfig config = SQLiteMCChacha20Config.getDefault().withHexKey(STORE_KEY.clone()).build();
    config.setReadOnly(readOnly);
    return config;
  }

  /** Keyed with one iteration, as this build creates a store. */
  private static SQLiteMCConfig oneIteration() {
    SQLiteMCConfig config = SQLiteMCChacha20Config.getDefault().setKdfIter(1).withHexKey(STORE_KEY.clone()).build();
    config.setReadOnly(true);
    return config;
  }

  private Path db() {
    return dir.resolve(EncryptedDatabase.FILE_NAME);
  }

  /** {@code PRAGMA integrity_check} over the whole file, or the error that refused the read. */
  private String integrity(SQLiteMCConfig config) {
    try (Connection c = config.createConnection("jdbc:sqlite:" + db().toAbsolutePath());
        Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA integrity_check")) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      return e.getMessage();
    }
  }

  /** What an older build's first open left: 1 KiB pages, WAL, its key derived as that build did. */
  private void createAsAnOlderBuild() throws Exception {
    EncryptedDatabase.prepareFiles(dir);
    try (Connection c = asOlderBuilds(false).createConnection("jdbc:sqlite:" + db().toAbsolutePath());
        Statement st = c.createStatement()) {
      st.execute("PRAGMA page_size=1024");
      st.execute("PRAGMA journal_mode=WAL");
    }
  }

  private static void useAndClose(TelemetryStore store) throws Exception {
    try (store) {
      store.persistHold(hold("h1", 10)).get(5, TimeUnit.SECONDS);
      store.persistSettlement(settle("h1", 7));
      assertTrue(store.offerRequest(request("r1", 7)));
      flush(store);
      assertEquals(7L, store.spendForDay(StoreFixtures.DAY).get(SpendKey.tenant("prod")));
      // The checkpointer's own connection opened (it checkpoints only once it has).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (store.checkpointer().runs() == 0 && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
      }
      assertTrue(store.checkpointer().runs() > 0, "the checkpointer never connected");
      assertTrue(store.verifyChain().ok());
    }
  }

  @Test
  void aNewStoreDerivesItsKeyWithOneIteration() throws Exception {
    useAndClose(open(dir));
    assertEquals("ok", integrity(oneIteration()));
    assertTrue(integrity(asOlderBuilds(true)).contains("not a database"), integrity(asOlderBuilds(true)));
    try (TelemetryStore store = open(dir)) {
      assertEquals(1, store.verifyChain().rowsChecked());
    }
  }

  @Test
  void aStoreAnOlderBuildCreatedOpensWorksAndKeepsItsDerivation() throws Exception {
    createAsAnOlderBuild();
    useAndClose(open(dir));
    // Every page, the schema the open wrote included, is still under the older derivation alone.
    assertEquals("ok", integrity(asOlderBuilds(true)));
    assertTrue(integrity(oneIteration()).contains("not a database"), integrity(oneIteration()));
    // The next open's checks (the ledger's pages, today's index, the chain) pass, and it serves.
    try (TelemetryStore store = TelemetryStore.open(dir, STORE_KEY, MAC_KEY, StoreOptions.defaults(),
        StoreFixtures.DAY)) {
      assertEquals(1, store.verifyChain().rowsChecked());
      assertEquals(7L, store.spendForDay(StoreFixtures.DAY).get(SpendKey.route("summarizer")));
      assertTrue(store.offerRequest(request("r2", 1)));
      flush(store);
    }
    try (ReadOnlyStore store = ReadOnlyStore.open(dir, STORE_KEY, MAC_KEY)) {
      assertTrue(store.damagedPage().isEmpty());
      assertEquals(2, store.verifyChain().rowsChecked());
    }
    assertEquals("ok", integrity(asOlderBuilds(true)));
  }

  /** A write-ahead log a crash left in an older store (page 1 in it) is read with the store's derivation. */
  @Test
  void anOlderStoresLogLeftByACrashIsReadThrough() throws Exception {
    createAsAnOlderBuild();
    useAndClose(open(dir));
    Map<String, byte[]> image = new HashMap<>();
    try (Connection c = asOlderBuilds(false).createConnection("jdbc:sqlite:" + db().toAbsolutePath());
        Statement st = c.createStatement()) {
      st.execute("PRAGMA wal_autocheckpoint=0");
      st.execute("CREATE TABLE scratch (x)"); // rewrites page 1, in the log
      st.execute("DROP TABLE scratch");
      for (String f : List.of("parapet.db", "parapet.db-wal")) {
        image.put(f, Files.readAllBytes(dir.resolve(f)));
      }
    } // closing checkpoints and deletes the log: put the crash's image back
    for (Map.Entry<String, byte[]> f : image.entrySet()) {
      Files.write(dir.resolve(f.getKey()), f.getValue());
    }
    Files.deleteIfExists(dir.resolve("parapet.db-shm"));
    assertTrue(EncryptedDatabase.hasLog(db()), "the premise: the log holds frames");
    try (TelemetryStore store = open(dir)) {
      assertEquals(1, store.verifyChain().rowsChecked());
      assertEquals(7L, store.spendForDay(StoreFixtures.DAY).get(SpendKey.route("summarizer")));
    }
  }

  @Test
  void anotherKeyIsRefusedWithTheSameLineOverAnOlderStore() throws Exception {
    createAsAnOlderBuild();
    useAndClose(open(dir));
    assertRefusedAsAnotherKey(StoreFixtures.key(99));
  }

  @Test
  void anotherKeyIsRefusedWithTheSameLineOverANewStore() throws Exception {
    useAndClose(open(dir));
    assertRefusedAsAnotherKey(StoreFixtures.key(99));
  }

  /** An altered first page decrypts with neither derivation: refused as before, not opened as the other. */
  @Test
  void anAlteredFirstPageIsRefusedWithTheSameLineOverEitherStore() throws Exception {
    useAndClose(open(dir));
    flip(200);
    assertRefusedAsAnotherKey(STORE_KEY);

    Path old = dir.resolve("old");
    dir = Files.createDirectory(old);
    createAsAnOlderBuild();
    useAndClose(open(dir));
    flip(200);
    assertRefusedAsAnotherKey(STORE_KEY);
  }

  private void flip(long pos) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(db().toFile(), "rw")) {
      f.seek(pos);
      int b = f.read();
      f.seek(pos);
      f.write(b ^ 0x10);
    }
  }

  private void assertRefusedAsAnotherKey(byte[] storeKey) throws Exception {
    byte[] before = Files.readAllBytes(db());
    StoreException e = assertThrows(StoreException.class,
        () -> TelemetryStore.open(dir, storeKey, MAC_KEY, StoreOptions.defaults()));
    assertEquals("the store in " + dir + " was not written with this master key"
        + " (or is not an encrypted Parapet store); it was left untouched", e.getMessage());
    StoreException r = assertThrows(StoreException.class, () -> ReadOnlyStore.open(dir, storeKey, MAC_KEY));
    assertEquals(e.getMessage(), r.getMessage());
    assertArrayEquals(before, Files.readAllBytes(db()));
  }
}
