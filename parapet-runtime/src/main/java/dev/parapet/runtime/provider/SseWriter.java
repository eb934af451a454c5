package dev.parapet.runtime.provider;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

/**
 * Frames payloads as Server-Sent Events the way OpenAI streams them: {@code data: <payload>}
 * followed by a blank line (WHATWG HTML §9.2.5). Only the {@code data} field is written, never
 * {@code event:}, because OpenAI SDKs treat every event as a chunk.
 */
public final class SseWriter {
  /** The payload that ends every OpenAI stream. */
  public static final String DONE = "[DONE]";

  private static final byte[] DATA_PREFIX = {'d', 'a', 't', 'a', ':', ' '};

  private SseWriter() {}

  /**
   * {@code data: <payload>\n\n}, newly allocated (the caller writes and thereby releases it).
   *
   * <p>Payloads are single-line JSON in practice. Should one contain a line break (JSON allows
   * CR/LF as whitespace between tokens; a provider might send pretty-printed chunks), each line
   * becomes its own {@code data:} line, which the SSE grammar joins back with LF on the
   * receiving side: the event is never split and a payload can never inject a field or end the
   * event early.
   */
  public static ByteBuf frame(ByteBufAllocator alloc, String payload) {
    ByteBuf buf = alloc.buffer(maxFrameBytes(payload));
    try {
      frameInto(buf, payload);
      return buf;
    } catch (RuntimeException e) {
      buf.release();
      throw e;
    }
  }

  /** An upper bound on the bytes {@link #frameInto} writes for {@code payload}, line breaks aside. */
  public static int maxFrameBytes(String payload) {
    return ByteBufUtil.utf8MaxBytes(payload) + DATA_PREFIX.length + 2;
  }

  /**
   * Appends {@code data: <payload>\n\n} to {@code out} (growing it as needed), with the same line
   * handling as {@link #frame}: several events framed into one buffer go out as one write.
   */
  public static void frameInto(ByteBuf out, String payload) {
    out.ensureWritable(maxFrameBytes(payload));
    out.writeBytes(DATA_PREFIX);
    int start = 0;
    int n = payload.length();
    for (int i = 0; i < n; i++) {
      char c = payload.charAt(i);
      if (c == '\n' || c == '\r') {
        ByteBufUtil.writeUtf8(out, payload, start, i);
        out.writeByte('\n');
        out.writeBytes(DATA_PREFIX);
        if (c == '\r' && i + 1 < n && payload.charAt(i + 1) == '\n') {
          i++;
        }
        start = i + 1;
      }
    }
    ByteBufUtil.writeUtf8(out, payload, start, n);
    out.writeByte('\n').writeByte('\n');
  }
}
