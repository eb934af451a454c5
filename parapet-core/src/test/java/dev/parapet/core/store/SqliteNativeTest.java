package dev.parapet.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteJDBCLoader;

/** The native library loads through {@link SqliteNative} and leaves nothing in the temp dir. */
class SqliteNativeTest {
  @TempDir Path tmp;

  /** Child JVM: load, list the temp dir, open a store connection. */
  public static void main(String[] args) throws Exception {
    Path tmpDir = Path.of(System.getProperty("java.io.tmpdir"));
    SqliteNative.load();
    List<String> left;
    try (Stream<Path> s = Files.list(tmpDir)) {
      left = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    System.out.println("native=" + SQLiteJDBCLoader.isNativeMode());
    System.out.println("left=" + left);
    System.out.println("props=" + System.getProperty("org.sqlite.lib.path") + "," + System.getProperty("org.sqlite.lib.name"));
    byte[] key = new byte[32];
    try (var c = EncryptedDatabase.connect(Path.of(args[0]), key, Duration.ofSeconds(1),
        EncryptedDatabase.Kdf.SINGLE_ITERATION)) {
      System.out.println("connected=" + !c.isClosed());
    }
    System.out.flush();
    Runtime.getRuntime().halt(0); // as Parapet exits: no deleteOnExit
  }

  @Test
  void loadsFromAPrivateCopyAndDeletesIt() throws Exception {
    Path childTmp = Files.createDirectory(tmp.resolve("tmp"));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
            "-Djava.io.tmpdir=" + childTmp, SqliteNativeTest.class.getName(), tmp.resolve("t.db").toString())
        .redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("native=true"), out);
    // sqlite-jdbc's own loader would have left sqlite-<version>-<uuid>-libsqlitejdbc.so(.lck) here.
    assertTrue(out.contains("left=[]"), out);
    assertTrue(out.contains("props=null,null"), out);
    assertTrue(out.contains("connected=true"), out);
    try (Stream<Path> s = Files.list(childTmp)) {
      assertEquals(List.of(), s.toList());
    }
  }

  @Test
  void loadIsIdempotentAndClearsItsProperties() {
    SqliteNative.load();
    SqliteNative.load();
    assertNull(System.getProperty("org.sqlite.lib.path"));
    assertNull(System.getProperty("org.sqlite.lib.name"));
  }
}
