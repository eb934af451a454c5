package dev.parapet.build;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * Writes a whole file or nothing: the content goes to a temporary file next to the target, is
 * flushed to disk, then moved over the target in one rename. A crash or a full disk leaves the
 * old file (or no file), never half a spec or half a key.
 *
 * <p>{@link #privately} creates the temporary file with mode 0600 in the same call that creates
 * it, so the sealed state and master key are never readable by others, not even for the moment
 * between a create and a chmod.
 */
final class AtomicWrite {
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
  private static final SecureRandom NAMES = new SecureRandom();

  private AtomicWrite() {}

  /** Replaces {@code target} with {@code content}, mode 0600 where the file system has modes. */
  static void privately(Path target, String content) throws IOException {
    write(target, content, true, true);
  }

  /** Replaces {@code target} with {@code content} (a spec: not secret). */
  static void replacing(Path target, String content) throws IOException {
    write(target, content, false, true);
  }

  /** Writes {@code target}, failing with {@link FileAlreadyExistsException} if it exists. */
  static void creatingNew(Path target, String content) throws IOException {
    write(target, content, false, false);
  }

  /**
   * Refuses, before any work, a target no file can be written to: a directory, or a path whose
   * directory is missing or is a file. The file system's own error for these comes only at the
   * final rename, as a bare {@code FileSystemException}.
   */
  static void requireFileTarget(Path target) throws Unwritable {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    if (dir == null || !Files.exists(dir)) {
      throw new Unwritable("its directory does not exist");
    }
    if (!Files.isDirectory(dir)) {
      throw new Unwritable("its parent is not a directory");
    }
    if (Files.isDirectory(absolute)) {
      throw new Unwritable("it is a directory; name a file in it");
    }
  }

  /** A target that cannot be a file (see {@link #requireFileTarget}); the message is the reason. */
  static final class Unwritable extends IOException {
    Unwritable(String reason) {
      super(reason);
    }
  }

  private static void write(Path target, String content, boolean ownerOnly, boolean replace)
      throws IOException {
    requireFileTarget(target);
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    if (!replace && Files.exists(absolute)) {
      throw new FileAlreadyExistsException(absolute.toString());
    }
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    Path tmp = dir.resolve("." + absolute.getFileName() + "." + randomSuffix() + ".tmp");
    try {
      try (FileChannel ch = open(tmp, ownerOnly)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      } finally {
        if (ownerOnly) {
          java.util.Arrays.fill(bytes, (byte) 0);
        }
      }
      if (replace) {
        move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
      } else {
        // createLink is atomic and fails if the target appeared meanwhile.
        try {
          Files.createLink(absolute, tmp);
        } catch (FileAlreadyExistsException e) {
          throw e;
        } catch (IOException | UnsupportedOperationException e) {
          // No hard links here (some network and FAT file systems): a plain move without
          // REPLACE_EXISTING still refuses an existing target.
          Files.move(tmp, absolute);
        }
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static FileChannel open(Path tmp, boolean ownerOnly) throws IOException {
    EnumSet<StandardOpenOption> opts = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    if (ownerOnly && tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(OWNER_ONLY);
      return FileChannel.open(tmp, opts, attr);
    }
    return FileChannel.open(tmp, opts);
  }

  private static void move(Path from, Path to, StandardCopyOption... extra) throws IOException {
    StandardCopyOption[] opts = new StandardCopyOption[extra.length + 1];
    opts[0] = StandardCopyOption.ATOMIC_MOVE;
    System.arraycopy(extra, 0, opts, 1, extra.length);
    try {
      Files.move(from, to, opts);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, extra);
    }
  }

  private static String randomSuffix() {
    byte[] b = new byte[6];
    NAMES.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
