package dev.parapet.core.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.OSInfo;

/**
 * Loads sqlite-jdbc's native library once per process, more cheaply than its own loader, which
 * copies the library to {@code java.io.tmpdir} under a random name and then compares the copy with
 * the jar's, a byte at a time (about a sixth of boot). The comparison guards against the copy
 * being swapped in a shared temporary directory; here the library is copied into a fresh
 * directory that only this user can write (mode 0700), so nothing can swap it between the copy
 * and the load. It is loaded through sqlite-jdbc's documented {@code org.sqlite.lib.path} and
 * {@code org.sqlite.lib.name}, then deleted (a loaded library stays mapped).
 *
 * <p>Anything unusual (those properties already set, not Linux, no bundled library for this
 * platform, a copy or load that fails) leaves the work to sqlite-jdbc's own loader, exactly as
 * before, so its errors are the ones reported.
 */
final class SqliteNative {
  private static final String LIB_PATH = "org.sqlite.lib.path";
  private static final String LIB_NAME = "org.sqlite.lib.name";
  private static boolean attempted;

  private SqliteNative() {}

  /** Loads the library if that has not been tried yet; never throws. */
  static synchronized void load() {
    if (attempted) {
      return;
    }
    attempted = true;
    String name = System.mapLibraryName("sqlitejdbc");
    if (System.getProperty(LIB_PATH) != null || System.getProperty(LIB_NAME) != null
        || !OSInfo.getOSName().equals("Linux") || !name.endsWith(".so")) {
      return;
    }
    String resource = "/org/sqlite/native/" + OSInfo.getNativeLibFolderPathForCurrentOS() + "/" + name;
    Path dir = null;
    Path lib = null;
    try (InputStream in = SQLiteJDBCLoader.class.getResourceAsStream(resource)) {
      if (in == null) {
        return;
      }
      Path tmp = Path.of(System.getProperty("org.sqlite.tmpdir", System.getProperty("java.io.tmpdir")));
      dir = Files.createTempDirectory(tmp, "parapet-sqlite-"); // rwx------ on POSIX
      lib = dir.resolve(name);
      Files.copy(in, lib);
      System.setProperty(LIB_PATH, dir.toString());
      System.setProperty(LIB_NAME, name);
      SQLiteJDBCLoader.initialize();
    } catch (Exception e) {
      // Left to sqlite-jdbc's own loader at the first connection, which reports its own error.
    } finally {
      System.clearProperty(LIB_PATH);
      System.clearProperty(LIB_NAME);
      deleteQuietly(lib);
      deleteQuietly(dir);
    }
  }

  private static void deleteQuietly(Path p) {
    if (p == null) {
      return;
    }
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      p.toFile().deleteOnExit();
    }
  }
}
