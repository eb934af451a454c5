package dev.parapet.runtime.provider;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Incremental parser of a {@code text/event-stream} body, following WHATWG HTML §9.2.6 "Event
 * stream interpretation": lines end with CRLF, LF or CR (a CRLF split across buffers is one line
 * end), a UTF-8 BOM at the very start is skipped, {@code :} starts a comment, one space after the
 * field's colon is dropped, {@code data} lines are joined with LF, {@code event} sets the type,
 * {@code id} and {@code retry} are ignored (we never reconnect), unknown fields are ignored, and a
 * blank line dispatches the event (an event with no {@code data} field is not dispatched).
 *
 * <p>Lines are decoded only once complete, so a UTF-8 sequence split across buffers decodes
 * correctly; invalid UTF-8 becomes U+FFFD as the spec's "UTF-8 decode" prescribes.
 *
 * <p>Memory is bounded: one event (its field lines, including the line being read) may take at
 * most {@code maxEventBytes}; beyond that {@link #feed} throws and the parser stays failed. A
 * provider cannot make us buffer an unbounded answer.
 *
 * <p>One instance per response; not thread-safe.
 */
public final class SseParser {
  /** Large enough for any real chunk (they are a few hundred bytes), small enough to hold. */
  public static final int DEFAULT_MAX_EVENT_BYTES = 4 * 1024 * 1024;

  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  private static final int SHRINK_ABOVE = 64 * 1024;

  private final int maxEventBytes;
  private byte[] line = new byte[256];
  private int lineLength;
  /** Bytes of field lines already taken into the current event. */
  private long eventBytes;
  private final StringBuilder data = new StringBuilder();
  private boolean sawData;
  private String eventType = "";
  /** The previous buffer ended with CR: an LF starting the next one belongs to that line end. */
  private boolean afterCr;
  private boolean atStreamStart = true;
  private boolean failed;

  public SseParser() {
    this(DEFAULT_MAX_EVENT_BYTES);
  }

  public SseParser(int maxEventBytes) {
    if (maxEventBytes < 1) {
      throw new IllegalArgumentException("maxEventBytes: " + maxEventBytes + " (expected: >= 1)");
    }
    this.maxEventBytes = maxEventBytes;
  }

  /**
   * The first CR or LF in {@code [from, to)}, or -1. Two word-at-a-time searches
   * ({@link ByteBuf#indexOf}) instead of a callback per byte: the scan for line ends was 7 % of the
   * SSE profile. CR-only line ends are legal (WHATWG §9.2.5) but rare, so the CR search only
   * covers the line the LF ends.
   */
  static int lineEnd(ByteBuf in, int from, int to) {
    int lf = in.indexOf(from, to, (byte) '\n');
    int cr = in.indexOf(from, lf < 0 ? to : lf, (byte) '\r');
    return cr >= 0 ? cr : lf;
  }

  /**
   * Consumes all readable bytes of {@code in} (its reader index moves to its writer index; the
   * caller still owns and releases it) and hands each complete event to {@code out}, in order.
   *
   * @throws ProviderProtocolException if an event exceeds the size limit; the parser is then
   *     unusable
   */
  public void feed(ByteBuf in, Consumer<SseEvent> out) throws ProviderProtocolException {
    if (failed) {
      throw new ProviderProtocolException("SSE stream: parser already failed");
    }
    int i = in.readerIndex();
    int end = in.writerIndex();
    try {
      while (i < end) {
        if (afterCr) {
          afterCr = false;
          if (in.getByte(i) == '\n') {
            i++;
            continue;
          }
        }
        int eol = lineEnd(in, i, end);
        if (eol < 0) {
          append(in, i, end - i);
          i = end;
          break;
        }
        append(in, i, eol - i);
        afterCr = in.getByte(eol) == '\r';
        i = eol + 1;
        processLine(out);
      }
    } catch (ProviderProtocolException e) {
      failed = true;
      throw e;
    } finally {
      in.readerIndex(i);
    }
  }

  /** Convenience for callers that translate events with checked exceptions. */
  public List<SseEvent> feed(ByteBuf in) throws ProviderProtocolException {
    List<SseEvent> events = new ArrayList<>(2);
    feed(in, events::add);
    return events;
  }

  /**
   * The stream ended. Per the spec an incomplete final event (no blank line after it) is
   * discarded, never dispatched; {@code out} therefore receives nothing. The parser is reset.
   *
   * @return whether something was discarded: a partial line or an undispatched event, i.e. the
   *     stream was cut mid-event
   */
  public boolean finish(Consumer<SseEvent> out) {
    boolean partial = lineLength > 0 || sawData || !eventType.isEmpty();
    resetEvent();
    lineLength = 0;
    afterCr = false;
    return partial;
  }

  private void append(ByteBuf in, int index, int length) throws ProviderProtocolException {
    if (length == 0) {
      return;
    }
    long needed = (long) lineLength + length;
    if (needed + eventBytes > maxEventBytes) {
      throw new ProviderProtocolException(
          "SSE stream: event larger than " + maxEventBytes + " bytes");
    }
    if (needed > line.length) {
      line = Arrays.copyOf(line, (int) Math.min(maxEventBytes, Math.max(needed, 2L * line.length)));
    }
    in.getBytes(index, line, lineLength, length);
    lineLength = (int) needed;
  }

  private void processLine(Consumer<SseEvent> out) {
    int start = 0;
    if (atStreamStart) {
      atStreamStart = false;
      if (lineLength >= 3 && line[0] == BOM[0] && line[1] == BOM[1] && line[2] == BOM[2]) {
        start = 3;
      }
    }
    int length = lineLength - start;
    lineLength = 0;
    if (length == 0) {
      dispatch(out);
      return;
    }
    if (line[start] == ':') {
      return; // comment, e.g. a keep-alive
    }
    int colon = -1;
    for (int k = start; k < start + length; k++) {
      if (line[k] == ':') {
        colon = k;
        break;
      }
    }
    int fieldEnd = colon < 0 ? start + length : colon;
    int valueStart = colon < 0 ? start + length : colon + 1;
    if (colon >= 0 && valueStart < start + length && line[valueStart] == ' ') {
      valueStart++;
    }
    if (isField(start, fieldEnd, "data")) {
      eventBytes += length;
      data.append(new String(line, valueStart, start + length - valueStart, StandardCharsets.UTF_8))
          .append('\n');
      sawData = true;
    } else if (isField(start, fieldEnd, "event")) {
      eventBytes += length;
      eventType = new String(line, valueStart, start + length - valueStart, StandardCharsets.UTF_8);
    }
    // id, retry and unknown fields: ignored (we never reconnect).
  }

  private boolean isField(int from, int to, String name) {
    if (to - from != name.length()) {
      return false;
    }
    for (int k = 0; k < name.length(); k++) {
      if (line[from + k] != name.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  private void dispatch(Consumer<SseEvent> out) {
    if (!sawData) {
      resetEvent();
      return;
    }
    data.setLength(data.length() - 1); // the spec's "remove the last LF"
    SseEvent event =
        new SseEvent(eventType.isEmpty() ? Optional.empty() : Optional.of(eventType), data.toString());
    resetEvent();
    out.accept(event);
  }

  private void resetEvent() {
    data.setLength(0);
    sawData = false;
    eventType = "";
    eventBytes = 0;
    if (line.length > SHRINK_ABOVE && lineLength == 0) {
      line = new byte[256]; // one huge event must not pin megabytes for the rest of the stream
    }
  }
}
