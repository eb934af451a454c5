package dev.parapet.runtime.upstream;

import dev.parapet.core.seal.SecretValue;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * Replaces every occurrence of the route's provider key in a provider error body with {@code
 * [REDACTED]} before the body passes through to the caller: providers echo what they were sent
 * (an "invalid key" message may quote it), and the key is the one thing a caller must never see.
 *
 * <p>The body is JSON, so the key may be echoed with any of its characters escaped, and the
 * caller's parser reads it back whole: PHP writes {@code /} as {@code \/}, .NET writes {@code +}
 * as <code>&#92;u002B</code>. Each character of the key is matched written plain, as a
 * <code>&#92;uXXXX</code> escape (either case) or, for {@code /}, {@code "} and {@code \}, as a
 * backslash escape.
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
    if (key.isEmpty() || key.get().isEmpty()) {
      return body.retainedDuplicate();
    }
    byte[] in = ByteBufUtil.getBytes(body);
    ByteBuf out = alloc.buffer(in.length);
    try {
      scrub(in, in.length, key.get(), out);
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
    if (key.isEmpty() || key.get().isEmpty()) {
      return Arrays.copyOf(body, length);
    }
    ByteBuf out = UnpooledByteBufAllocator.DEFAULT.heapBuffer(length);
    try {
      scrub(body, length, key.get(), out);
      return ByteBufUtil.getBytes(out);
    } finally {
      out.release();
    }
  }

  private static void scrub(byte[] in, int end, SecretValue key, ByteBuf out) {
    byte[] secret = key.utf8();
    try {
      int from = 0;
      for (int i = 0; i < end; ) {
        int length = in[i] == secret[0] || in[i] == '\\' ? matchAt(in, end, i, secret) : -1;
        if (length < 0) {
          i++;
          continue;
        }
        out.writeBytes(in, from, i - from).writeBytes(MASK);
        i += length;
        from = i;
      }
      out.writeBytes(in, from, end - from);
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  /**
   * The length of the key's occurrence at {@code i} of {@code hay} (up to {@code end}), each of its
   * characters written plain or escaped; -1 when there is none.
   */
  private static int matchAt(byte[] hay, int end, int i, byte[] key) {
    int k = i;
    for (byte c : key) {
      // A backslash in JSON starts an escape: tried before the plain character (a key's own
      // backslash is written as two).
      if (k + 1 < end && hay[k] == '\\' && hay[k + 1] == c && (c == '/' || c == '"' || c == '\\')) {
        k += 2;
      } else if (c >= 0 && k + 5 < end && hay[k] == '\\' && hay[k + 1] == 'u' && hex4(hay, k + 2) == c) {
        k += 6; // an ASCII character as \\uXXXX (a key's multi-byte character is matched plain only)
      } else if (k < end && hay[k] == c) {
        k++;
      } else {
        return -1;
      }
    }
    return k - i;
  }

  /** The four hex digits at {@code at} as a number; -1 when they are not four hex digits. */
  private static int hex4(byte[] b, int at) {
    int v = 0;
    for (int j = at; j < at + 4; j++) {
      int d = Character.digit(b[j], 16);
      if (d < 0) {
        return -1;
      }
      v = v << 4 | d;
    }
    return v;
  }
}
