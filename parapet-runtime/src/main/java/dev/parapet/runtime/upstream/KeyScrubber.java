package dev.parapet.runtime.upstream;

import dev.parapet.core.seal.SecretValue;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * Replaces every occurrence of the route's provider key with {@code [REDACTED]} in what a provider
 * sends before it passes through to the caller: error bodies (providers echo what they were sent;
 * an "invalid key" message may quote it), and 2xx answers, whole or each streamed event (a local
 * server or a debugging proxy that echoes the request's {@code Authorization} into its answer).
 * The key is the one thing a caller must never see.
 *
 * <p>The body is JSON, so the key may be echoed with any of its characters escaped, and the
 * caller's parser reads it back whole: PHP writes {@code /} as {@code \/}, .NET writes {@code +}
 * as <code>&#92;u002B</code>. Each character of the key is matched written plain, as a
 * <code>&#92;uXXXX</code> escape (either case) or, for {@code /}, {@code "} and {@code \}, as a
 * backslash escape. The mask is plain ASCII with nothing to escape, so a masked JSON string stays
 * valid JSON.
 *
 * <p>Cost where the key is absent (every answer of a sane provider): one pass over the bytes, a
 * closer look only at a byte that could begin the key (its first byte, or a backslash), read
 * through {@link SecretValue#byteAt}; nothing is copied or allocated. A key is printable ASCII
 * (checked when the blob is opened), so no occurrence spans a line break, and an occurrence in
 * UTF-8 bytes is one in the text.
 */
final class KeyScrubber {
  private static final byte[] MASK = "[REDACTED]".getBytes(StandardCharsets.US_ASCII);

  private KeyScrubber() {}

  /** {@code text} with the key masked (a provider's word we name to the caller). */
  static String scrub(String text, Optional<SecretValue> key) {
    ByteBuf in = Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8));
    ByteBuf out = scrub(UnpooledByteBufAllocator.DEFAULT, in, key);
    try {
      return out.toString(StandardCharsets.UTF_8);
    } finally {
      out.release();
      in.release();
    }
  }

  /** A new buffer with the key masked; {@code body} is not released. */
  static ByteBuf scrub(ByteBufAllocator alloc, ByteBuf body, Optional<SecretValue> key) {
    if (!usable(key)) {
      return body.retainedDuplicate();
    }
    ByteBuf out = alloc.buffer(body.readableBytes());
    try {
      scrubInto(body, body.readerIndex(), body.writerIndex(), key.get(), out);
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
    return out;
  }

  /**
   * The first {@code length} bytes of {@code body} with the key masked, as an array of their own
   * (nothing to release: what work off the event loop may hand back, {@link
   * dev.parapet.runtime.PolicyThreads#run}).
   */
  static byte[] scrub(byte[] body, int length, Optional<SecretValue> key) {
    ByteBuf in = Unpooled.wrappedBuffer(body, 0, length);
    try {
      byte[] masked = maskedOrNull(in, key);
      return masked != null ? masked : Arrays.copyOf(body, length);
    } finally {
      in.release();
    }
  }

  /**
   * {@code body}'s readable bytes with the key masked, as an array of their own (nothing to
   * release, so work off the loop may hand it back); null when the key is not in them, and then
   * nothing was copied or allocated. {@code body} is read, not changed or released.
   */
  static byte[] maskedOrNull(ByteBuf body, Optional<SecretValue> key) {
    if (!usable(key)) {
      return null;
    }
    int end = body.writerIndex();
    int at = find(body, body.readerIndex(), end, key.get());
    if (at < 0) {
      return null;
    }
    ByteBuf out = UnpooledByteBufAllocator.DEFAULT.heapBuffer(body.readableBytes());
    try {
      out.writeBytes(body, body.readerIndex(), at - body.readerIndex());
      scrubInto(body, at, end, key.get(), out);
      return ByteBufUtil.getBytes(out);
    } finally {
      out.release();
    }
  }

  /**
   * {@code utf8} with the key masked, as new bytes; {@code utf8} itself when the key is not in it,
   * and then nothing was copied or allocated (one streamed payload before it is framed, {@link
   * dev.parapet.runtime.provider.SseWriter.Filter}). Neither adds nor removes a CR or LF: the key
   * is printable ASCII, every spelling of it matched is too, and so is the mask.
   */
  static byte[] maskedOrSame(byte[] utf8, Optional<SecretValue> key) {
    if (!usable(key) || find(utf8, 0, 0, utf8.length, key.get(), null) < 0) {
      return utf8;
    }
    byte[] masked = maskedOrNull(Unpooled.wrappedBuffer(utf8), key);
    return masked != null ? masked : utf8;
  }

  private static boolean usable(Optional<SecretValue> key) {
    return key.isPresent() && !key.get().isEmpty();
  }

  /** Writes {@code in}'s bytes from {@code from} to {@code end} to {@code out}, the key masked. */
  private static void scrubInto(ByteBuf in, int from, int end, SecretValue key, ByteBuf out) {
    for (int at = find(in, from, end, key); at >= 0; at = find(in, from, end, key)) {
      out.writeBytes(in, from, at - from).writeBytes(MASK);
      from = at + matchAt(in, end, at, key);
    }
    out.writeBytes(in, from, end - from);
  }

  /** Where the key's first occurrence in {@code hay} from {@code from} to {@code end} begins; -1 if none. */
  private static int find(ByteBuf hay, int from, int end, SecretValue key) {
    if (hay.hasArray()) {
      return find(hay.array(), hay.arrayOffset(), from, end, key, hay);
    }
    byte first = key.byteAt(0);
    // A direct buffer (a pass-through answer): forEachByte reads without getByte's per-byte checks.
    ByteProcessor notACandidate = b -> b != first && b != '\\';
    for (int i = from; i < end; ) {
      int at = hay.forEachByte(i, end - i, notACandidate);
      if (at < 0) {
        return -1;
      }
      if (matchAt(hay, end, at, key) >= 0) {
        return at;
      }
      i = at + 1;
    }
    return -1;
  }

  /**
   * {@link #find(ByteBuf, int, int, int, SecretValue)} over an array ({@code hay}'s, at {@code
   * offset}; or, {@code hay} null, a bare array at offset 0, wrapped only should a candidate need a
   * closer look): ~0.3 ns a byte, against ~2 ns through a buffer's checked reads. A byte that may
   * begin the key is looked at closer only if the next one may go on with it: the key's second
   * character or an escape after its first written plain, a {@code u} or the first character
   * itself after a backslash (most of an answer's s's and \\n's go no further).
   */
  private static int find(byte[] a, int offset, int from, int end, SecretValue key, ByteBuf hay) {
    byte first = key.byteAt(0);
    byte second = key.length() > 1 ? key.byteAt(1) : first;
    for (int i = from; i < end; i++) {
      byte b = a[offset + i];
      if (b != first && b != '\\') {
        continue;
      }
      byte next = i + 1 < end ? a[offset + i + 1] : 0;
      boolean may = b == first && (next == second || next == '\\' || key.length() == 1)
          || b == '\\' && (next == 'u' || next == first);
      if (!may) {
        continue;
      }
      if (hay == null) {
        hay = Unpooled.wrappedBuffer(a); // offset 0: indices are the array's
      }
      if (matchAt(hay, end, i, key) >= 0) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The length of the key's occurrence at {@code i} of {@code hay} (up to {@code end}), each of its
   * characters written plain or escaped; -1 when there is none.
   */
  private static int matchAt(ByteBuf hay, int end, int i, SecretValue key) {
    int k = i;
    for (int j = 0, n = key.length(); j < n; j++) {
      byte c = key.byteAt(j);
      // A backslash in JSON starts an escape: tried before the plain character (a key's own
      // backslash is written as two).
      if (k + 1 < end && hay.getByte(k) == '\\' && hay.getByte(k + 1) == c && (c == '/' || c == '"' || c == '\\')) {
        k += 2;
      } else if (c >= 0 && k + 5 < end && hay.getByte(k) == '\\' && hay.getByte(k + 1) == 'u' && hex4(hay, k + 2) == c) {
        k += 6; // an ASCII character as \\uXXXX (a key's multi-byte character is matched plain only)
      } else if (k < end && hay.getByte(k) == c) {
        k++;
      } else {
        return -1;
      }
    }
    return k - i;
  }

  /** The four hex digits at {@code at} as a number; -1 when they are not four hex digits. */
  private static int hex4(ByteBuf b, int at) {
    int v = 0;
    for (int j = at; j < at + 4; j++) {
      int d = Character.digit(b.getByte(j), 16);
      if (d < 0) {
        return -1;
      }
      v = v << 4 | d;
    }
    return v;
  }
}
