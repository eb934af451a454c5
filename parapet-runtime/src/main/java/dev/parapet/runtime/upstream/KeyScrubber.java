package dev.parapet.runtime.upstream;

import dev.parapet.core.seal.SecretValue;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * Replaces every occurrence of the route's provider key in a provider error body with {@code
 * [REDACTED]} before the body passes through to the caller: providers echo what they were sent
 * (an "invalid key" message may quote it), and the key is the one thing a caller must never see.
 */
final class KeyScrubber {
  private static final byte[] MASK = "[REDACTED]".getBytes(StandardCharsets.US_ASCII);

  private KeyScrubber() {}

  /** A new buffer with the key masked; {@code body} is not released. */
  static ByteBuf scrub(ByteBufAllocator alloc, ByteBuf body, Optional<SecretValue> key) {
    if (key.isEmpty() || key.get().isEmpty()) {
      return body.retainedDuplicate();
    }
    byte[] secret = key.get().utf8();
    try {
      byte[] in = ByteBufUtil.getBytes(body);
      ByteBuf out = alloc.buffer(in.length);
      int from = 0;
      for (int at = indexOf(in, secret, 0); at >= 0; at = indexOf(in, secret, from)) {
        out.writeBytes(in, from, at - from).writeBytes(MASK);
        from = at + secret.length;
      }
      out.writeBytes(in, from, in.length - from);
      return out;
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  private static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = from; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
