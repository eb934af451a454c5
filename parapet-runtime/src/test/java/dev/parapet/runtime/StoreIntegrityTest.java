package dev.parapet.runtime;

import static dev.parapet.runtime.TelemetryFixture.ADMIN;
import static dev.parapet.runtime.TelemetryFixture.ADMIN_PASSWORD;
import static dev.parapet.runtime.TelemetryFixture.VIEWER;
import static dev.parapet.runtime.TelemetryFixture.VIEWER_PASSWORD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.core.budget.Cost;
import dev.parapet.core.seal.MasterKey;
import dev.parapet.runtime.boot.BootException;
import dev.parapet.runtime.telemetry.StoreVerification;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.TestConfigs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * What a run leaves behind: log lines (in the JSON format), telemetry rows and the bytes on disk
 * hold no secret and no prompt; the store file says nothing without the key; an edited or deleted
 * row stops the next boot, naming where, until an operator accepts it; verify-store agrees.
 */
class StoreIntegrityTest {
  @TempDir Path tmp;

  private static final String PROMPT_SECRET = "prompt-canary-7f3a9c";
  /** The ledger's row of route summarizer's spend today. */
  private static final String SUMMARIZER_TODAY = "day = '" + java.time.LocalDate.now(java.time.ZoneOffset.UTC)
      + "' AND scope = 'route' AND name = 'summarizer'";

  @Test
  void noSecretInAnyLogLineRowOrFileAndNoNameInTheRawStore() throws Exception {
    ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    OutputStreamAppender<ILoggingEvent> appender = jsonAppender(logBytes);
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(appender);
    TelemetryFixture fx;
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:" + provider.getPort() + "/v1"));
      try (fx) {
        fx.boot();
        assertEquals(200, fx.call(TestConfigs.TOKEN_A, "summarizer", "my card " + PROMPT_SECRET).statusCode());
        assertEquals(200, fx.call(TestConfigs.TOKEN_B, "elsewhere", PROMPT_SECRET).statusCode());
        assertEquals(403, fx.call(TestConfigs.TOKEN_B, "summarizer", PROMPT_SECRET).statusCode());
        assertEquals(401, fx.call(TestConfigs.TOKEN_A + "x", "summarizer", PROMPT_SECRET).statusCode());
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json")
            .body("{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o-2024-08-06\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + PROMPT_SECRET
                + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}").build());
        assertEquals(200, fx.call(TestConfigs.TOKEN_A, "remote", PROMPT_SECRET).statusCode());
        provider.enqueue(new MockResponse.Builder().code(503).body(PROVIDER_ERROR).build());
        assertEquals(502, fx.call(TestConfigs.TOKEN_A, "remote", PROMPT_SECRET).statusCode());
        assertEquals(401, fx.get("/_parapet/usage", ADMIN, VIEWER_PASSWORD).statusCode());
        assertEquals(200, fx.get("/_parapet/usage", VIEWER, VIEWER_PASSWORD).statusCode());
        assertEquals(200, fx.get("/_parapet/events", ADMIN, ADMIN_PASSWORD).statusCode());
        TelemetryEndToEndTest.awaitRequests(fx, 6);
      } // closing drains and flushes the store
    } finally {
      root.detachAppender(appender);
      appender.stop();
    }
    List<String> secrets = List.of(TelemetryFixture.PROVIDER_KEY, TestConfigs.TOKEN_A, TestConfigs.TOKEN_B,
        ADMIN_PASSWORD, VIEWER_PASSWORD, fx.env.get("PARAPET_MASTER_KEY"), PROMPT_SECRET,
        TelemetryFixture.basic(ADMIN, ADMIN_PASSWORD).substring(6),
        TelemetryFixture.basic(ADMIN, VIEWER_PASSWORD).substring(6));

    String logs = logBytes.toString(StandardCharsets.UTF_8);
    List<String> lines = logs.lines().toList();
    assertTrue(lines.stream().anyMatch(l -> l.contains("parapet.access")), logs);
    assertTrue(lines.stream().anyMatch(l -> l.contains("config_sha256=")), logs);
    for (String line : lines) {
      TelemetryFixture.JSON.readTree(line); // every line is one JSON object
      for (String secret : secrets) {
        assertFalse(line.contains(secret), "log line holds a secret: " + line);
      }
    }

    List<String> rows = dumpEveryRow(fx);
    assertTrue(rows.size() >= 6 + 3, rows.toString()); // six requests, three events, and more
    assertTrue(rows.stream().anyMatch(r -> r.contains("summarizer")), "rows are readable with the key");
    for (String row : rows) {
      for (String secret : secrets) {
        assertFalse(row.contains(secret), "telemetry row holds a secret: " + row);
      }
    }

    List<Path> files;
    try (Stream<Path> s = Files.list(fx.dataDir)) {
      files = s.filter(Files::isRegularFile).toList();
    }
    assertTrue(files.stream().anyMatch(f -> f.getFileName().toString().equals("parapet.db")));
    List<String> names = List.of("summarizer", "elsewhere", "remote", "svc-a", "svc-b", "prod", "other",
        "gpt-4o-2024-08-06", "route_forbidden", "invalid_token");
    for (Path f : files) {
      String raw = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
      for (String s : concat(secrets, names)) {
        assertFalse(raw.contains(s), f.getFileName() + " holds " + s + " in the clear");
      }
    }
    // Plain SQLite without the key: not a database.
    SQLException notADatabase = assertThrows(SQLException.class, () -> {
      try (Connection plain = DriverManager.getConnection("jdbc:sqlite:" + fx.dataDir.resolve("parapet.db"));
          Statement st = plain.createStatement();
          ResultSet rs = st.executeQuery("SELECT name FROM sqlite_master")) {
        rs.next();
      }
    });
    assertTrue(notADatabase.getMessage().contains("not a database"), notADatabase.getMessage());
    LeakWatch.assertNoLeaks();
  }

  private static final String PROVIDER_ERROR = "{\"error\":\"upstream says " + PROMPT_SECRET + "\"}";

  @Test
  void anEditedRowStopsTheNextBootNamingWhereUntilAccepted() throws Exception {
    TelemetryFixture fx = runAndStop();
    try (Connection c = fx.openStoreWithKey(); Statement st = c.createStatement()) {
      assertEquals(1, st.executeUpdate("UPDATE journal SET cost_nano = cost_nano + 1000000"
          + " WHERE seq = (SELECT MIN(seq) FROM journal WHERE kind = 'request')"));
    }
    String err = refusedBoot(fx.env);
    assertTrue(err.contains("broken at seq") && err.contains("edited"), err);
    assertEquals(1, verifyStore(fx.env).code());

    fx.env.put("PARAPET_ACCEPT_BROKEN_CHAIN", "yes");
    fx.boot().close(); // accepted: a new chain segment starts after the break
    fx.env.remove("PARAPET_ACCEPT_BROKEN_CHAIN");
    fx.boot().close(); // and the acknowledgement is durable
    Result ok = verifyStore(fx.env);
    assertEquals(0, ok.code(), ok.err());
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aDeletedRowStopsTheNextBoot() throws Exception {
    TelemetryFixture fx = runAndStop();
    try (Connection c = fx.openStoreWithKey(); Statement st = c.createStatement()) {
      assertEquals(1, st.executeUpdate("DELETE FROM journal WHERE seq = (SELECT MIN(seq) + 1 FROM journal)"));
    }
    String err = refusedBoot(fx.env);
    assertTrue(err.contains("broken at seq"), err);
    Result verify = verifyStore(fx.env);
    assertEquals(1, verify.code());
    assertTrue(verify.err().startsWith("parapet: verify-store: ") && verify.err().contains("broken at seq"), verify.err());
    assertEquals(1, verify.err().lines().count());
  }

  /**
   * Someone who can write the data directory but has no key flips one bit of the file where a
   * route's spend today is stored (a read returns the altered page without an error): the cap must
   * not start over. Every page of the ledger is read at boot in one transaction, where the cipher's
   * failed check surfaces.
   */
  @Test
  void aSpendFigureAlteredInTheFileWithoutTheKeyStopsTheNextBoot() throws Exception {
    TelemetryFixture fx = runAndStop();
    String spendSql = "SELECT nano_usd FROM spend_day WHERE " + SUMMARIZER_TODAY;
    long spent = readLong(fx, spendSql);
    assertTrue(spent > 0, "the premise: the calls were charged today");
    // Most of the day's spend forgotten (which let calls past the cap).
    long altered = alterFigure(fx, "spend_day", spendSql, v -> v >= 0 && v < spent);
    assertLedgerPageRefused(fx, "(spend_day)");
    assertEquals(altered, readLong(fx, spendSql), "the refused boot left the page as it found it");
  }

  /** The same, to a figure above what today's chained rows were charged: no check by figure sees it. */
  @Test
  void aSpendFigureAlteredUpwardInTheFileStopsTheNextBoot() throws Exception {
    TelemetryFixture fx = runAndStop();
    String spendSql = "SELECT nano_usd FROM spend_day WHERE " + SUMMARIZER_TODAY;
    long spent = readLong(fx, spendSql);
    alterFigure(fx, "spend_day", spendSql, v -> v > spent);
    assertLedgerPageRefused(fx, "(spend_day)");
  }

  /**
   * Yesterday's spend, on a page of its own (a store with many routes): nothing checks it against
   * rows, and no boot read it before.
   */
  @Test
  void yesterdaysSpendAlteredInTheFileStopsTheNextBoot() throws Exception {
    TelemetryFixture fx = runAndStop();
    String yesterday = java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1).toString();
    try (Connection c = fx.openStoreWithKey();
        java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO spend_day (day, scope, name, nano_usd)"
            + " VALUES ('" + yesterday + "', 'route', ?, ?)")) {
      for (int i = 0; i < 120; i++) { // what yesterday's calls on 120 routes left
        ps.setString(1, String.format("route-%03d", i));
        ps.setLong(2, 7_000_000_000L + i);
        ps.addBatch();
      }
      ps.executeBatch();
    }
    int page;
    try (Connection c = fx.openStoreWithKey(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pageno, (SELECT count(*) FROM dbstat WHERE name = 'spend_day'"
            + " AND pagetype = 'leaf') FROM dbstat WHERE name = 'spend_day' AND pagetype = 'leaf' ORDER BY path LIMIT 1")) {
      assertTrue(rs.next());
      page = rs.getInt(1);
      assertTrue(rs.getInt(2) >= 3, "the premise: the first leaf holds yesterday's spend alone");
    }
    List<String> before = dumpSpend(fx);
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(fx.dataDir.resolve("parapet.db").toFile(), "rw")) {
      flip(f, (long) page * 1024 - 32 - 1, 0x01); // the last byte of the page's last cell: a figure's
    }
    // Row by row, each read on its own (a read going on past the altered page would fail).
    List<String> changed = new ArrayList<>();
    try (Connection c = fx.openStoreWithKey(); java.sql.PreparedStatement ps = c.prepareStatement(
        "SELECT nano_usd FROM spend_day WHERE day = ? AND scope = ? AND name = ?")) {
      for (String row : before) {
        String[] key = row.split(" ");
        for (int i = 0; i < 3; i++) {
          ps.setString(i + 1, key[i]);
        }
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next(), row);
          if (rs.getLong(1) != Long.parseLong(key[3])) {
            changed.add(row);
          }
        }
      }
    }
    assertEquals(1, changed.size(), "the premise: one figure reads back altered, without an error: " + changed);
    assertTrue(changed.get(0).startsWith(yesterday), changed.toString());
    assertLedgerPageRefused(fx, "(spend_day)");
  }

  private static List<String> dumpSpend(TelemetryFixture fx) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = fx.openStoreWithKey(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT day, scope, name, nano_usd FROM spend_day")) {
      while (rs.next()) {
        rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getLong(4));
      }
    }
    return rows;
  }

  /**
   * A hold a killed process left open, altered in the file: it would be settled at the altered
   * worst case. (It was refused before too, as its settlement could not be written, but with a line
   * that did not say what to do.)
   */
  @Test
  void anOpenHoldAlteredInTheFileStopsTheNextBoot() throws Exception {
    TelemetryFixture fx = runAndStop();
    String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
    try (Connection c = fx.openStoreWithKey(); Statement st = c.createStatement()) {
      st.executeUpdate("INSERT INTO open_hold (hold_id, day, route, tenant, worst_nano, created_us) VALUES"
          + " ('hold-of-a-killed-run', '" + today + "', 'summarizer', 'prod', 9000000000, 1795176000000000)");
    }
    String holdSql = "SELECT worst_nano FROM open_hold";
    alterFigure(fx, "open_hold", holdSql, v -> v >= 0 && v != 9_000_000_000L);
    assertLedgerPageRefused(fx, "(open_hold)");
  }

  /** A store this build creates derives its cipher's key with one PBKDF2 iteration, not 64,007. */
  @Test
  void aStoreThisBuildCreatesIsKeyedWithOneIteration() throws Exception {
    TelemetryFixture fx = runAndStop();
    assertEquals("ok", integrityCheck(fx));
    fx.olderBuildsStore = true;
    assertTrue(integrityCheck(fx).contains("not a database"), integrityCheck(fx));
  }

  /**
   * A data directory an older build created (the store's key derived with SQLite3MC's default
   * iterations, which the file does not record): the gateway boots on it and serves, writes it
   * with that derivation only, boots on it again (the ledger's pages, today's index and the chain
   * read at boot pass), and still refuses, with the lines it always did, another master key and a
   * figure altered in the file.
   */
  @Test
  void aStoreAnOlderBuildCreatedServesAndStillRefusesTampering() throws Exception {
    TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9/v1"))
        .createStoreAsAnOlderBuild();
    try (fx) {
      fx.boot();
      for (int i = 0; i < 3; i++) {
        assertEquals(200, fx.call(TestConfigs.TOKEN_A, "summarizer", "hello " + i).statusCode());
      }
      TelemetryEndToEndTest.awaitRequests(fx, 3);
    }
    assertEquals("ok", integrityCheck(fx), "every page still under the older derivation");
    fx.olderBuildsStore = false;
    assertTrue(integrityCheck(fx).contains("not a database"), integrityCheck(fx));
    fx.olderBuildsStore = true;
    try (fx) {
      fx.boot();
      assertEquals(200, fx.call(TestConfigs.TOKEN_A, "summarizer", "again").statusCode());
      TelemetryEndToEndTest.awaitRequests(fx, 4); // the first boot's three rows read back, and a new one
    }
    Result verified = verifyStore(fx.env);
    assertEquals(0, verified.code(), verified.err());

    TelemetryFixture otherKey = new TelemetryFixture(fx.dataDir, URI.create("http://127.0.0.1:9/v1"));
    BootException wrong = assertThrows(BootException.class, () -> otherKey.boot().close());
    assertEquals("telemetry store: the store in " + fx.dataDir + " was not written with this master key"
        + " (or is not an encrypted Parapet store); it was left untouched", wrong.getMessage());

    String spendSql = "SELECT nano_usd FROM spend_day WHERE " + SUMMARIZER_TODAY;
    long spent = readLong(fx, spendSql);
    assertTrue(spent > 0, "the premise: the calls were charged today");
    alterFigure(fx, "spend_day", spendSql, v -> v >= 0 && v < spent);
    assertLedgerPageRefused(fx, "(spend_day)");
  }

  private static String integrityCheck(TelemetryFixture fx) {
    org.sqlite.mc.SQLiteMCConfig config = fx.storeKeying();
    config.setReadOnly(true);
    try (Connection c = config.createConnection("jdbc:sqlite:" + fx.dataDir.resolve("parapet.db").toAbsolutePath());
        Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA integrity_check")) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      return e.getMessage();
    }
  }

  private static void assertLedgerPageRefused(TelemetryFixture fx, String table) {
    BootException e = assertThrows(BootException.class, () -> fx.boot().close(), "a boot over an altered page");
    assertTrue(e.getMessage().startsWith("telemetry store: the ledger in ") && e.getMessage().contains(table),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("restore the data directory from a backup"), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
  }

  /**
   * Flips bits of the figure {@code sql} reads, in the file and without the key, until {@code
   * wanted} holds of what it reads back; returns that. The key is used only to see which flip hit
   * the figure. Cells sit at the end of the page, before the cipher's 32 bytes; the sign bit shows
   * where the figure starts, and a lower bit of that byte moves it.
   */
  private static long alterFigure(TelemetryFixture fx, String table, String sql, java.util.function.LongPredicate wanted)
      throws Exception {
    int page;
    try (Connection c = fx.openStoreWithKey(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pageno FROM dbstat WHERE name = '" + table + "'")) {
      assertTrue(rs.next());
      page = rs.getInt(1);
      assertFalse(rs.next(), "the premise: one page holds " + table);
    }
    Path db = fx.dataDir.resolve("parapet.db");
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(db.toFile(), "rw")) {
      long top = -1;
      for (int off = 1024 - 32 - 1; off > 1024 - 32 - 400 && top < 0; off--) {
        long pos = (long) (page - 1) * 1024 + off;
        long v = figureAfterFlip(fx, f, pos, 0x80, sql);
        if (v < 0 && v != Long.MIN_VALUE) {
          top = pos;
        }
        flip(f, pos, 0x80);
      }
      assertTrue(top >= 0, "the premise: the figure is on the page");
      for (int bit = 0x40; bit > 0; bit >>= 1) {
        long v = figureAfterFlip(fx, f, top, bit, sql);
        if (wanted.test(v)) {
          return v; // the premise: an altered page reads without an error
        }
        flip(f, top, bit);
      }
    }
    throw new AssertionError("no flip of the figure's first byte gave a wanted figure");
  }

  /**
   * A spend below its rows without a damaged page (as a crash between a row's commit and its
   * settlement's can leave one, on an estimated prompt past its hold): raised back at boot, with a
   * line in the log, and the gateway starts.
   */
  @Test
  void aSpendBelowItsRowsIsRaisedBackAtTheNextBoot() throws Exception {
    TelemetryFixture fx = runAndStop();
    String spendSql = "SELECT nano_usd FROM spend_day WHERE " + SUMMARIZER_TODAY;
    long spent;
    try (Connection c = fx.openStoreWithKey(); Statement st = c.createStatement()) {
      spent = readLong(st, spendSql);
      assertTrue(spent > 0, "the premise: the calls were charged today");
      st.executeUpdate("UPDATE spend_day SET nano_usd = 1 WHERE " + SUMMARIZER_TODAY);
    }
    ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    OutputStreamAppender<ILoggingEvent> appender = jsonAppender(logBytes);
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(appender);
    try {
      fx.boot().close();
    } finally {
      root.detachAppender(appender);
      appender.stop();
    }
    try (Connection c = fx.openStoreWithKey(); Statement st = c.createStatement()) {
      assertEquals(spent, readLong(st, spendSql), "today's spend raised back to its rows' sum");
    }
    String logs = logBytes.toString(StandardCharsets.UTF_8);
    List<String> raised = logs.lines().filter(l -> l.contains("below what its chained rows were charged")).toList();
    assertEquals(1, raised.size(), logs);
    assertTrue(raised.get(0).contains("route summarizer spent 1 nano-USD"), raised.get(0));
  }

  private static void flip(java.io.RandomAccessFile f, long pos, int bit) throws java.io.IOException {
    f.seek(pos);
    int b = f.read();
    f.seek(pos);
    f.write(b ^ bit);
  }

  /** Flips {@code bit} at {@code pos} and reads the figure back (Long.MIN_VALUE if unreadable). */
  private static long figureAfterFlip(TelemetryFixture fx, java.io.RandomAccessFile f, long pos, int bit, String sql)
      throws Exception {
    flip(f, pos, bit);
    try {
      return readLong(fx, sql);
    } catch (SQLException e) {
      return Long.MIN_VALUE;
    }
  }

  private static long readLong(TelemetryFixture fx, String sql) throws Exception {
    try (Connection c = fx.openStoreWithKey(); Statement st = c.createStatement()) {
      return readLong(st, sql);
    }
  }

  private static long readLong(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      assertTrue(rs.next(), sql);
      return rs.getLong(1);
    }
  }

  @Test
  void verifyStoreOnAnIntactStoreAndOnNone() throws Exception {
    TelemetryFixture fx = runAndStop();
    Path db = fx.dataDir.resolve("parapet.db");
    Path wal = fx.dataDir.resolve("parapet.db-wal");
    String files = digest(db, wal);
    Result ok = verifyStore(fx.env);
    assertEquals(0, ok.code(), ok.err());
    assertTrue(ok.out().matches("telemetry chain intact: [0-9]+ rows checked;"
        + " every page of the store reads back as written\\R"), ok.out());
    assertEquals(files, digest(db, wal), "verify-store changed the store's files");
    assertFalse(Files.exists(fx.dataDir.resolve("parapet.db-shm")), "verify-store left a -shm behind");
    fx.env.put("PARAPET_DATA_DIR", tmp.resolve("nothing-here").toString());
    Result none = verifyStore(fx.env);
    assertEquals(1, none.code());
    assertTrue(none.err().contains("no telemetry store"), none.err());
    assertFalse(Files.exists(tmp.resolve("nothing-here")), "verify-store created a store");
    // An empty parapet.db (a failed copy) is no store either: not made into a new one.
    Path empty = tmp.resolve("empty");
    Files.createDirectories(empty);
    Files.createFile(empty.resolve("parapet.db"));
    fx.env.put("PARAPET_DATA_DIR", empty.toString());
    for (Result r : List.of(verifyStore(fx.env), showRequest("0".repeat(32), fx.env))) {
      assertEquals(1, r.code());
      assertTrue(r.err().contains("no telemetry store"), r.err());
    }
    assertEquals(0, Files.size(empty.resolve("parapet.db")), "verify-store wrote to an empty file");
  }

  /**
   * An operator runs verify-store on a copy of the data directory: a byte flipped in any page
   * holding data (a journal page, an index page, an old day's spend, which no boot reads) is
   * found, named by its table, exit 1 with one line; the same store unaltered passes.
   */
  @Test
  void verifyStoreFindsAPageAlteredAnywhereInTheFile() throws Exception {
    TelemetryFixture fx = runAndStop();
    try (Connection c = fx.openStoreWithKey();
        java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO spend_day (day, scope, name, nano_usd)"
            + " VALUES ('2025-01-01', 'route', ?, 7000000000)")) {
      for (int i = 0; i < 120; i++) { // an old day's spend, on leaf pages of its own
        ps.setString(1, String.format("route-%03d", i));
        ps.addBatch();
      }
      ps.executeBatch();
    }
    Result intact = verifyStore(fx.env);
    assertEquals(0, intact.code(), intact.err());
    Map<String, String> pages = Map.of(
        "journal", "name = 'journal' AND pagetype = 'leaf'",
        "journal_kind_day", "name = 'journal_kind_day'",
        "spend_day", "name = 'spend_day' AND pagetype = 'leaf'");
    for (Map.Entry<String, String> kind : pages.entrySet()) {
      int page;
      try (Connection c = fx.openStoreWithKey(); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT pageno FROM dbstat WHERE " + kind.getValue() + " ORDER BY path LIMIT 1")) {
        assertTrue(rs.next(), kind.getKey());
        page = rs.getInt(1);
      }
      Path copy = tmp.resolve("copy-" + kind.getKey());
      Files.createDirectories(copy);
      try (Stream<Path> s = Files.list(fx.dataDir)) {
        for (Path f : s.filter(Files::isRegularFile).toList()) {
          Files.copy(f, copy.resolve(f.getFileName()));
        }
      }
      try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(copy.resolve("parapet.db").toFile(), "rw")) {
        flip(f, (long) page * 1024 - 32 - 1, 0x01);
      }
      Map<String, String> env = new java.util.HashMap<>(fx.env);
      env.put("PARAPET_DATA_DIR", copy.toString());
      Result r = verifyStore(env);
      assertEquals(1, r.code(), kind.getKey() + ": " + r.out());
      assertEquals(1, r.err().lines().count(), r.err());
      assertTrue(r.err().startsWith("parapet: verify-store: the store in " + copy
          + " has a page that does not read back as written, in "), r.err());
      assertTrue(r.err().strip().endsWith("restore the data directory from a backup"), r.err());
      String named = kind.getKey().replace("_kind_day", "");
      assertTrue(r.err().contains(named), kind.getKey() + ": " + r.err());
    }
  }

  /**
   * Today's spend is checked against today's rows, read through the index journal_kind_day, which
   * neither the chain nor the ledger's page check covers: a page of it altered in the file refuses
   * the boot with the line that says what to do.
   */
  @Test
  void anIndexPageOfTodaysRowsAlteredInTheFileStopsTheNextBoot() throws Exception {
    TelemetryFixture fx = runAndStop();
    int page;
    try (Connection c = fx.openStoreWithKey(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pageno FROM dbstat WHERE name = 'journal_kind_day'")) {
      assertTrue(rs.next());
      page = rs.getInt(1);
      assertFalse(rs.next(), "the premise: one page holds the index");
    }
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(fx.dataDir.resolve("parapet.db").toFile(), "rw")) {
      flip(f, (long) page * 1024 - 32 - 1, 0x01);
    }
    BootException e = assertThrows(BootException.class, () -> fx.boot().close(), "a boot over an altered index page");
    assertTrue(e.getMessage().contains("has a page that does not read back as written, in today's request rows"
        + " (journal, journal_kind_day)"), e.getMessage());
    assertTrue(e.getMessage().endsWith("restore the data directory from a backup"), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
  }

  /** An old day's spend, on leaf pages of their own, that no boot reads: 120 routes on 2025-01-01. */
  private static final String OLD_DAY = "day = '2025-01-01' AND scope = 'route'";

  /**
   * A crash (kill -9) left a committed change in the write-ahead log; someone who can write the data
   * directory but has no key flips a bit of one of its frames, an old day's spend, and fixes up the
   * log's checksum (a sum over the frame as stored: no key needed, and certain). A boot must refuse
   * it, and leave the files as it found them: the connection that could write used to copy the
   * frame into the file with a valid tag as it closed (the store's checkpointer did within 250 ms
   * of an open that passed), and the next boot passed with the altered figure. The same log
   * unaltered boots.
   */
  @Test
  void aPageAlteredInTheWriteAheadLogStopsEveryBootAndIsNeverCopiedIntoTheFile() throws Exception {
    TelemetryFixture fx = runAndStop();
    Map<String, byte[]> unaltered = crashWithAnOldDaysSpendInTheLog(fx);
    Path db = fx.dataDir.resolve("parapet.db");
    Path wal = fx.dataDir.resolve("parapet.db-wal");
    String files = forgeAnOldDaysFrame(fx);

    for (int boot = 1; boot <= 2; boot++) {
      BootException e = assertThrows(BootException.class, () -> fx.boot().close(), "boot " + boot);
      assertTrue(e.getMessage().contains("has a page that does not read back as written, in spend_day"),
          e.getMessage());
      assertTrue(e.getMessage().endsWith("restore the data directory from a backup"), e.getMessage());
      assertEquals(files, digest(db, wal), "boot " + boot + " changed the store's files");
    }

    // The log as the crash left it: boots, with its change.
    Files.write(wal, unaltered.get("parapet.db-wal"));
    Files.deleteIfExists(fx.dataDir.resolve("parapet.db-shm"));
    fx.boot().close();
    assertEquals(120, oldDaysFigures(fx).stream().filter(v -> v == 7_000_000_001L).count());
    LeakWatch.assertNoLeaks();
  }

  /**
   * verify-store on a backup taken after a crash, whose log has a frame altered the same way: found,
   * every run, and the files are left as they were. It used to open the store read-write: its
   * close copied the frame into the file with a valid tag and deleted the log, so the second run
   * passed ("every page of the store reads back as written").
   */
  @Test
  void verifyStoreFindsAPageAlteredInTheWriteAheadLogAndLaundersNothing() throws Exception {
    TelemetryFixture fx = runAndStop();
    crashWithAnOldDaysSpendInTheLog(fx);
    String files = forgeAnOldDaysFrame(fx);
    for (int run = 1; run <= 2; run++) {
      Result r = verifyStore(fx.env);
      assertEquals(1, r.code(), "verify-store " + run + ": " + r.out());
      assertEquals(1, r.err().lines().count(), r.err());
      assertTrue(r.err().contains("has a page that does not read back as written, in spend_day"), r.err());
      assertEquals(files, digest(fx.dataDir.resolve("parapet.db"), fx.dataDir.resolve("parapet.db-wal")),
          "verify-store " + run + " changed the store's files");
    }
  }

  /**
   * Flips a bit of the old day's first leaf in its log frame (the last byte of its last cell: a
   * figure's) and fixes up the checksum. Returns the digest of the db and the log.
   */
  private static String forgeAnOldDaysFrame(TelemetryFixture fx) throws Exception {
    Path db = fx.dataDir.resolve("parapet.db");
    Path wal = fx.dataDir.resolve("parapet.db-wal");
    forgeWalFrame(wal, firstLeafOfTheOldDay(fx), 1024 - 32 - 1, 0x01);
    // The premise: SQLite takes the forged frame (an autocommit read returns one figure altered,
    // without an error), and a read-only connection changes neither file.
    String files = digest(db, wal);
    List<Long> figures = oldDaysFigures(fx);
    assertEquals(119, figures.stream().filter(v -> v == 7_000_000_001L).count(), figures.toString());
    assertEquals(files, digest(db, wal));
    return files;
  }

  /**
   * Adds an old day's spend to the (cleanly closed) store, then changes it on a connection whose
   * files are copied while it is open, as a kill -9 leaves them: the change is committed in the
   * write-ahead log only. Puts that image in the data directory; returns its bytes by file name.
   */
  private static Map<String, byte[]> crashWithAnOldDaysSpendInTheLog(TelemetryFixture fx) throws Exception {
    try (Connection c = fx.openStoreWithKey();
        java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO spend_day (day, scope, name, nano_usd)"
            + " VALUES ('2025-01-01', 'route', ?, 7000000000)")) {
      for (int i = 0; i < 120; i++) {
        ps.setString(1, String.format("route-%03d", i));
        ps.addBatch();
      }
      ps.executeBatch();
    }
    Map<String, byte[]> image = new java.util.HashMap<>();
    try (Connection c = fx.openStoreWithKey(); Statement st = c.createStatement()) {
      st.execute("PRAGMA wal_autocheckpoint=0");
      assertEquals(120, st.executeUpdate("UPDATE spend_day SET nano_usd = nano_usd + 1 WHERE " + OLD_DAY));
      for (String f : List.of("parapet.db", "parapet.db-wal")) {
        image.put(f, Files.readAllBytes(fx.dataDir.resolve(f)));
      }
    } // closing checkpoints and deletes the log: put the crash's image back
    for (Map.Entry<String, byte[]> f : image.entrySet()) {
      Files.write(fx.dataDir.resolve(f.getKey()), f.getValue());
    }
    Files.deleteIfExists(fx.dataDir.resolve("parapet.db-shm"));
    assertTrue(image.get("parapet.db-wal").length > 32, "the premise: the change is in the log");
    return image;
  }

  private static int firstLeafOfTheOldDay(TelemetryFixture fx) throws Exception {
    try (Connection c = openReadOnly(fx); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pageno FROM dbstat WHERE name = 'spend_day' AND pagetype = 'leaf'"
            + " ORDER BY path LIMIT 1")) {
      assertTrue(rs.next());
      return rs.getInt(1);
    }
  }

  /** The old day's figures, each read on its own (a read going on past an altered page would fail). */
  private static List<Long> oldDaysFigures(TelemetryFixture fx) throws Exception {
    List<Long> out = new ArrayList<>();
    try (Connection c = openReadOnly(fx);
        java.sql.PreparedStatement ps = c.prepareStatement("SELECT nano_usd FROM spend_day WHERE " + OLD_DAY
            + " AND name = ?")) {
      for (int i = 0; i < 120; i++) {
        ps.setString(1, String.format("route-%03d", i));
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next());
          out.add(rs.getLong(1));
        }
      }
    }
    return out;
  }

  /** A keyed connection that cannot write (nor checkpoint) the store. */
  private static Connection openReadOnly(TelemetryFixture fx) throws Exception {
    org.sqlite.mc.SQLiteMCConfig config = fx.storeKeying();
    config.setReadOnly(true);
    return config.createConnection("jdbc:sqlite:" + fx.dataDir.resolve("parapet.db").toAbsolutePath());
  }

  /**
   * Flips {@code bit} at {@code offset} of the last frame of page {@code pgno} in the write-ahead
   * log and fixes up the checksum of that frame and every later one, as SQLite computes it: a sum of
   * 32-bit words over each frame's first 8 header bytes and its page as stored, chained from the
   * log header's. No key is involved.
   */
  static void forgeWalFrame(Path wal, int pgno, int offset, int bit) throws java.io.IOException {
    byte[] w = Files.readAllBytes(wal);
    java.nio.ByteBuffer be = java.nio.ByteBuffer.wrap(w);
    int pageSize = be.getInt(8);
    java.nio.ByteBuffer words = java.nio.ByteBuffer.wrap(w).order((be.getInt(0) & 1) == 1
        ? java.nio.ByteOrder.BIG_ENDIAN : java.nio.ByteOrder.LITTLE_ENDIAN);
    int frameSize = 24 + pageSize;
    int frames = (w.length - 32) / frameSize;
    int target = -1;
    for (int f = 0; f < frames; f++) {
      if (be.getInt(32 + f * frameSize) == pgno) {
        target = f;
      }
    }
    assertTrue(target >= 0, "the premise: page " + pgno + " has a frame in the log");
    w[32 + target * frameSize + 24 + offset] ^= (byte) bit;
    int s0 = be.getInt(24);
    int s1 = be.getInt(28);
    for (int f = 0; f < frames; f++) {
      int at = 32 + f * frameSize;
      s0 += words.getInt(at) + s1;
      s1 += words.getInt(at + 4) + s0;
      for (int i = 0; i < pageSize; i += 8) {
        s0 += words.getInt(at + 24 + i) + s1;
        s1 += words.getInt(at + 24 + i + 4) + s0;
      }
      if (f >= target) {
        be.putInt(at + 16, s0);
        be.putInt(at + 20, s1);
      }
    }
    Files.write(wal, w);
  }

  /** SHA-256 of each file ("absent" for a missing one). */
  private static String digest(Path... files) throws Exception {
    StringBuilder out = new StringBuilder();
    for (Path f : files) {
      out.append(f.getFileName()).append('=').append(Files.exists(f)
          ? HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)))
          : "absent").append(' ');
    }
    return out.toString();
  }

  /**
   * {@code show-request}: one call's row by the id its answer carried, as JSON, with the figures
   * the usage surface sums; never the prompt. An unknown id exits 1, a malformed one 2 (not echoed).
   */
  @Test
  void showRequestPrintsOneCallsRowAndNothingElse() throws Exception {
    TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9/v1"));
    String id;
    JsonNode usage;
    try (fx) {
      fx.boot();
      HttpResponse<String> r = fx.call(TestConfigs.TOKEN_A, "summarizer", "quarterly figures " + PROMPT_SECRET);
      assertEquals(200, r.statusCode());
      id = r.headers().firstValue("x-parapet-request-id").orElseThrow();
      usage = TelemetryFixture.JSON.readTree(r.body()).path("usage");
      TelemetryEndToEndTest.awaitRequests(fx, 1);
    }
    Result shown = showRequest(id, fx.env);
    assertEquals(0, shown.code(), shown.err());
    JsonNode row = TelemetryFixture.JSON.readTree(shown.out());
    assertEquals(id, row.path("request_id").asText());
    assertEquals(List.of("prod", "svc-a", "summarizer", "echo"),
        List.of(row.path("tenant").asText(), row.path("service").asText(), row.path("route").asText(),
            row.path("provider").asText()));
    assertEquals(usage.path("prompt_tokens").asLong(), row.path("tokens_in").asLong());
    assertEquals(usage.path("completion_tokens").asLong(), row.path("tokens_out").asLong());
    long nanos = Cost.actual(TelemetryFixture.price("2", "4"), usage.path("prompt_tokens").asLong(),
        usage.path("completion_tokens").asLong());
    assertEquals(Cost.toUsd(nanos).toPlainString(), row.path("cost_usd").asText());
    assertEquals(200, row.path("status").asInt());
    assertTrue(row.path("error_code").isNull() && row.path("notes").isArray(), shown.out());
    assertFalse(shown.out().contains(PROMPT_SECRET) || shown.out().contains("quarterly"), shown.out());

    Result unknown = showRequest("0".repeat(32), fx.env);
    assertEquals(1, unknown.code());
    assertTrue(unknown.err().contains("no row for request"), unknown.err());
    Result malformed = showRequest("../etc/passwd';--", fx.env);
    assertEquals(2, malformed.code());
    assertFalse(malformed.err().contains("passwd"), malformed.err());
    fx.env.put("PARAPET_MASTER_KEY", MasterKey.generate(new SecureRandom()).toBase64());
    Result wrongKey = showRequest(id, fx.env);
    assertEquals(1, wrongKey.code());
    assertEquals(1, wrongKey.err().lines().count(), wrongKey.err());
  }

  @Test
  void aBadRetentionSettingRefusesToBoot() throws Exception {
    TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9/v1"));
    for (String bad : new String[] {"0", "-1", "ninety", "90d", " 90", "36501", ""}) {
      fx.env.put("PARAPET_RETENTION_DAYS", bad);
      String err = refusedBoot(fx.env);
      assertTrue(err.contains("PARAPET_RETENTION_DAYS") && err.contains("expected"), err);
    }
    fx.env.put("PARAPET_RETENTION_DAYS", "30");
    fx.boot().close();
  }

  private TelemetryFixture runAndStop() throws Exception {
    TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9/v1"));
    try (fx) {
      fx.boot();
      for (int i = 0; i < 3; i++) {
        assertEquals(200, fx.call(TestConfigs.TOKEN_A, "summarizer", "hello " + i).statusCode());
      }
      assertEquals(401, fx.call("nope-nope-nope", "summarizer", "x").statusCode());
      TelemetryEndToEndTest.awaitRequests(fx, 4);
    }
    return fx;
  }

  private static String refusedBoot(Map<String, String> env) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int code = Main.run(env, new PrintStream(buf, true, StandardCharsets.UTF_8));
    String err = buf.toString(StandardCharsets.UTF_8);
    assertEquals(1, code, err);
    assertEquals(1, err.lines().count(), err);
    return err;
  }

  record Result(int code, String out, String err) {}

  private static Result verifyStore(Map<String, String> env) {
    return command((out, err) -> StoreVerification.run(env, out, err));
  }

  private static Result showRequest(String id, Map<String, String> env) {
    return command((out, err) -> StoreVerification.showRequest(id, env, out, err));
  }

  private static Result command(java.util.function.ToIntBiFunction<PrintStream, PrintStream> run) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = run.applyAsInt(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Every row of every table, as text (blobs as hex and as raw characters). */
  private static List<String> dumpEveryRow(TelemetryFixture fx) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = fx.openStoreWithKey()) {
      List<String> tables = new ArrayList<>();
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      assertTrue(tables.contains("journal"), tables.toString());
      for (String table : tables) {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM \"" + table + "\"")) {
          ResultSetMetaData md = rs.getMetaData();
          while (rs.next()) {
            StringBuilder row = new StringBuilder(table).append(':');
            for (int i = 1; i <= md.getColumnCount(); i++) {
              Object v = rs.getObject(i);
              if (v instanceof byte[] b) {
                row.append(HexFormat.of().formatHex(b)).append('|').append(new String(b, StandardCharsets.ISO_8859_1));
              } else {
                row.append(v);
              }
              row.append(',');
            }
            rows.add(row.toString());
          }
        }
      }
    }
    return rows;
  }

  private static OutputStreamAppender<ILoggingEvent> jsonAppender(ByteArrayOutputStream sink) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    encoder.setWithFormattedMessage(true);
    encoder.setWithMessage(false);
    encoder.setWithArguments(false);
    encoder.setWithContext(false);
    encoder.setWithMDC(false);
    encoder.start();
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setEncoder(encoder);
    appender.setOutputStream(sink);
    appender.start();
    return appender;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
