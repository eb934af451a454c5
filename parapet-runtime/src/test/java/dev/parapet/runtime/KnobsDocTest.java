package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.boot.BootException;
import dev.parapet.runtime.boot.Settings;
import dev.parapet.runtime.telemetry.TelemetryStage;
import dev.parapet.runtime.upstream.UpstreamClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's knob table ("Run") is what operators set Parapet by: every {@code PARAPET_*}
 * variable the runtime reads has its row and no row names one it does not read, and each integer
 * knob's row gives the default and the range the boot actually applies. A knob added, dropped,
 * re-defaulted or re-bounded without its row fails here.
 */
class KnobsDocTest {
  private static final Path README = Path.of("..", "README.md");
  /** A quoted variable name in Java, or {@code ${NAME} } in Logback's configuration. */
  private static final Pattern READ = Pattern.compile("(?:\"|\\$\\{)(PARAPET_[A-Z0-9_]+)");
  private static final Pattern RANGE = Pattern.compile("\\(expected: an integer (\\d+)\\.\\.(\\d+)\\)");

  @Test
  void everyVariableTheRuntimeReadsHasItsRowAndNoRowIsUnread() throws IOException {
    TreeSet<String> read = new TreeSet<>();
    for (Path root : List.of(Path.of("src", "main"), Path.of("..", "parapet-core", "src", "main"))) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java") || p.toString().endsWith(".xml")).toList()) {
          Matcher m = READ.matcher(Files.readString(f));
          while (m.find()) {
            read.add(m.group(1));
          }
        }
      }
    }
    assertTrue(read.contains("PARAPET_PORT") && read.contains("PARAPET_LOG_LEVEL"), read.toString());
    TreeSet<String> rows = new TreeSet<>(rows().keySet());
    assertEquals(List.of(), read.stream().filter(k -> !rows.contains(k)).toList(), "read, no row in README's knob table");
    assertEquals(List.of(), rows.stream().filter(k -> !read.contains(k)).toList(), "a README row, read by no code");
  }

  @Test
  void everyIntegerKnobsRowGivesItsDefaultAndRange() throws Exception {
    Settings d = Settings.defaults();
    Map<String, Long> defaults = new LinkedHashMap<>();
    defaults.put("PARAPET_PORT", (long) d.port());
    defaults.put("PARAPET_MAX_BODY_BYTES", (long) d.maxBodyBytes());
    defaults.put("PARAPET_MAX_BUFFERED_BODY_BYTES", d.maxBufferedBodyBytes());
    defaults.put("PARAPET_MAX_CONNECTIONS", (long) d.maxConnections());
    defaults.put("PARAPET_IDLE_TIMEOUT_MS", d.idleTimeoutMs());
    defaults.put("PARAPET_HEAD_TIMEOUT_MS", d.headTimeoutMs());
    defaults.put("PARAPET_MIN_BODY_RATE", d.minBodyBytesPerSecond());
    defaults.put("PARAPET_BODY_TIMEOUT_MS", d.bodyTimeoutMs());
    defaults.put("PARAPET_SHUTDOWN_GRACE_MS", d.shutdownGraceMs());
    defaults.put("PARAPET_SHUTDOWN_DELAY_MS", d.shutdownDelayMs());
    defaults.put("PARAPET_WORKER_THREADS", null); // the CPU count
    defaults.put("PARAPET_UPSTREAM_MAX_PER_ORIGIN", (long) UpstreamClient.DEFAULT_MAX_PER_ORIGIN);
    defaults.put("PARAPET_UPSTREAM_IDLE_MS", UpstreamClient.DEFAULT_IDLE_TIMEOUT.toMillis());
    defaults.put("PARAPET_RETENTION_DAYS", (long) TelemetryStore.DEFAULT_RETENTION_DAYS);

    Map<String, String[]> rows = rows();
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, Long> knob : defaults.entrySet()) {
      String name = knob.getKey();
      String[] row = rows.get(name);
      assertNotNull(row, name + ": no row");
      String dflt = knob.getValue() == null ? "CPU cores" : "`" + knob.getValue() + "`";
      if (!row[1].equals(dflt)) {
        wrong.add(name + " default: README " + row[1] + ", code " + dflt);
      }
      Matcher m = RANGE.matcher(bootError(name));
      assertTrue(m.find(), name);
      // the buffered-body floor is the body limit, whatever it is set to
      String min = name.equals("PARAPET_MAX_BUFFERED_BODY_BYTES") ? "PARAPET_MAX_BODY_BYTES" : m.group(1);
      String range = "`" + min + ".." + m.group(2) + "`";
      if (!row[2].startsWith(range)) {
        wrong.add(name + " range: README " + row[2] + ", code " + range);
      }
    }
    assertEquals(List.of(), wrong);
  }

  /** The boot's error for a value no integer knob takes, from the reader that owns {@code name}. */
  private static String bootError(String name) {
    Map<String, String> env = new HashMap<>(Map.of(
        Settings.BOOTSTRAP_STATE, "x", Settings.MASTER_KEY, "x", name, "not-a-number"));
    BootException e = assertThrows(BootException.class, () -> {
      Settings.fromEnv(env);
      TelemetryStage.checkEnv(env);
      Wiring.maxPerOrigin(env);
      Wiring.upstreamIdle(env);
    }, name + " is read by none of the knob readers");
    assertTrue(e.getMessage().startsWith(name + ": "), e.getMessage());
    return e.getMessage();
  }

  /** The knob table's rows by variable: its cells after the name (default, values, meaning). */
  private static Map<String, String[]> rows() throws IOException {
    Map<String, String[]> rows = new LinkedHashMap<>();
    for (String line : Files.readAllLines(README)) {
      if (line.startsWith("| `PARAPET_")) {
        String[] cells = line.substring(2, line.length() - 2).split(" \\| ", -1);
        String name = cells[0].replace("`", "");
        assertEquals(4, cells.length, "README row of " + name + ": variable | default | values | meaning");
        assertEquals(null, rows.put(name, new String[] {cells[0], cells[1], cells[2], cells[3]}), "two rows: " + name);
      }
    }
    return rows;
  }
}
