package dev.parapet.runtime.boot;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** {@code PARAPET_DATA_DIR}: created owner-only (0700) when absent; must be a writable directory. */
final class DataDir {
  private DataDir() {}

  static Path prepare(Path dir) throws BootException {
    try {
      if (!Files.exists(dir)) {
        try {
          Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
              PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
          Files.createDirectories(dir); // not a POSIX file system
        }
      }
    } catch (FileAlreadyExistsException e) {
      throw new BootException("PARAPET_DATA_DIR: " + dir + " exists and is not a directory");
    } catch (IOException | SecurityException e) {
      throw new BootException("PARAPET_DATA_DIR: cannot create " + dir + " (" + e.getClass().getSimpleName() + ")");
    }
    if (!Files.isDirectory(dir)) {
      throw new BootException("PARAPET_DATA_DIR: " + dir + " is not a directory");
    }
    if (!Files.isWritable(dir)) {
      throw new BootException("PARAPET_DATA_DIR: " + dir + " is not writable");
    }
    return dir;
  }
}
