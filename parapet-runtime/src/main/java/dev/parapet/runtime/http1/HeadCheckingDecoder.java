package dev.parapet.runtime.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.TimeUnit;

/**
 * Netty's request decoder, but each request head is held back until it is complete and checked
 * byte for byte first: obs-fold (RFC 9112 §5.2), whitespace before the first header field (RFC
 * 9112 §2.2), bare CR or LF line endings (RFC 9112 §2.2), and a {@code Transfer-Encoding} whose
 * raw value is anything but {@code chunked} (RFC 9112 §6.1; a list, a parameter, a tab or extra
 * spaces are how a front proxy and this server are made to disagree on where the body ends). A
 * failing head becomes an invalid request message, exactly like Netty's own decoder failures, and
 * every byte after it is discarded: the sanity handler answers 400 and closes.
 *
 * <p>It also times the head: from its first byte the head must be complete within {@code
 * headTimeout}, or the connection is closed (slowloris), unanswered, after a {@link HeadTimedOut}
 * event for the metrics and the access log. The empty lines RFC 9112 §2.2 lets a
 * client send before a request line count as the head's bytes: they start the clock too (else a
 * CRLF every few seconds would hold a connection forever), and more than {@value
 * #MAX_BLANK_BYTES} of them are refused with 400. While the connection is not being read
 * (a request is in flight, autoRead off), the clock is not the caller's fault and restarts.
 *
 * <p>The scan is incremental (state kept between calls), so a head dribbled in byte by byte costs
 * linear time. The head is bounded: past {@code maxLine + 2 * maxHeaders} bytes without an end it
 * is passed to Netty, which refuses it as too long (414/431).
 */
public final class HeadCheckingDecoder extends HttpRequestDecoder {
  private static final byte CR = '\r';
  private static final byte LF = '\n';
  /** A request line's HTTP-name, exactly as RFC 9112 §2.3 spells it. */
  private static final byte[] HTTP_NAME = {'H', 'T', 'T', 'P', '/'};
  private static final byte[] TRANSFER_ENCODING = "transfer-encoding:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /** Blank bytes tolerated before a request line: RFC 9112 §2.2 asks for at least one empty line. */
  static final int MAX_BLANK_BYTES = 256;

  private final int maxHeadBytes;
  private final long headTimeoutNanos;
  private final Queue<HttpMethod> methods;

  private boolean atMessageStart = true;
  private boolean discarding;
  private ScheduledFuture<?> headDeadline;
  private long headStartNanos; // the head's first byte, for the access line of a timeout

  // Incremental scan state, offsets relative to the reader index (nothing is consumed while held).
  private int scanned;
  private int lineStart;
  private int lines;
  /** Blank bytes skipped before this head's request line. */
  private int blankBytes;
  /** Where the request line ends (at its CR), once it is in; -1 before. */
  private int requestLineEnd = -1;

  HeadCheckingDecoder(
      HttpDecoderConfig config,
      int maxLine,
      int maxHeaders,
      Duration headTimeout,
      Queue<HttpMethod> methods) {
    super(config);
    this.maxHeadBytes = maxLine + 2 * maxHeaders + 8;
    this.headTimeoutNanos = headTimeout.toNanos();
    this.methods = methods;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    if (discarding) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (atMessageStart && !holdHeadUntilComplete(ctx, in, out)) {
      return;
    }
    int before = out.size();
    super.decode(ctx, in, out);
    for (int i = before; i < out.size(); i++) {
      Object o = out.get(i);
      if (o instanceof HttpRequest request) {
        methods.add(request.method());
      }
      if (o instanceof HttpObject h && h.decoderResult().isFailure()) {
        discarding = true;
      } else if (o instanceof LastHttpContent) {
        atMessageStart = true;
      }
    }
  }

  /** True when the head is complete and clean (or too long for us to judge); Netty goes on. */
  private boolean holdHeadUntilComplete(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (scanned == 0) {
      // RFC 9112 §2.2: empty lines before a request line are ignored (Netty skips them too).
      int blank = 0;
      while (in.isReadable() && (in.getByte(in.readerIndex()) & 0xff) <= ' ') {
        in.skipBytes(1);
        blank++;
      }
      if (blank > 0) {
        blankBytes += blank;
        if (blankBytes > MAX_BLANK_BYTES) {
          return refuse(in, out, "more than " + MAX_BLANK_BYTES + " blank bytes before the request line");
        }
        armDeadline(ctx); // the head's first bytes: its clock runs
      }
      if (!in.isReadable()) {
        return false;
      }
    }
    int base = in.readerIndex();
    int readable = in.readableBytes();
    for (int i = scanned; i < readable; i++) {
      byte b = in.getByte(base + i);
      byte prev = i > 0 ? in.getByte(base + i - 1) : 0;
      if (prev == CR && b != LF) {
        return refuse(in, out, "bare CR in request head");
      }
      if (b != LF) {
        if (i == lineStart && lines > 0 && (b == ' ' || b == '\t')) {
          return refuse(in, out, lines == 1
              ? "whitespace before the first header field"
              : "obs-fold in a header field");
        }
        continue;
      }
      if (prev != CR) {
        return refuse(in, out, "bare LF in request head");
      }
      int lineEnd = i - 1; // exclusive, at the CR
      if (lineEnd == lineStart) { // empty line: end of the head
        resetScan();
        atMessageStart = false;
        return true;
      }
      if (lines > 0 && !transferEncodingIsPlainChunked(in, base + lineStart, base + lineEnd)) {
        return refuse(in, out, "Transfer-Encoding other than chunked");
      }
      if (lines == 0) {
        requestLineEnd = lineEnd;
        if (!versionNameIsExact(in, base + lineStart, base + lineEnd)) {
          return refuse(in, out, "HTTP-name other than HTTP");
        }
      }
      lines++;
      lineStart = i + 1;
    }
    scanned = readable;
    if (readable > maxHeadBytes) {
      resetScan(); // too long to be legal: Netty's limits answer it
      atMessageStart = false;
      return true;
    }
    armDeadline(ctx);
    return false;
  }

  /**
   * True unless the request line's last word starts {@code http/} in another case: the HTTP-name is
   * case-sensitive (RFC 9112 §2.3) and Netty would read {@code http/1.1} as HTTP/1.1, where nginx
   * and a strict front proxy refuse it. A line without a version is left to Netty.
   */
  private static boolean versionNameIsExact(ByteBuf in, int from, int to) {
    int v = to;
    while (v > from && in.getByte(v - 1) != ' ') {
      v--;
    }
    if (v == from || to - v < 5) {
      return true;
    }
    boolean exact = true;
    for (int k = 0; k < HTTP_NAME.length; k++) { // bytes, not a String: once per request, on the loop
      int b = in.getByte(v + k);
      if (b != HTTP_NAME[k]) {
        exact = false;
        if ((b >= 'a' && b <= 'z' ? b - ('a' - 'A') : b) != HTTP_NAME[k]) {
          return true; // not an HTTP-name in any case: Netty's to judge
        }
      }
    }
    return exact;
  }

  /** True unless the line is a Transfer-Encoding field whose raw value is not exactly chunked. */
  private static boolean transferEncodingIsPlainChunked(ByteBuf in, int from, int to) {
    if (to - from < TRANSFER_ENCODING.length) {
      return true;
    }
    for (int k = 0; k < TRANSFER_ENCODING.length; k++) {
      if (Character.toLowerCase((char) in.getByte(from + k)) != TRANSFER_ENCODING[k]) {
        return true;
      }
    }
    int v = from + TRANSFER_ENCODING.length;
    if (v < to && in.getByte(v) == ' ') {
      v++; // one SP of optional whitespace, the way every client writes it (RFC 9110 §5.6.3)
    }
    // RFC 9112 §7: coding names are case-insensitive.
    return to - v == 7 && "chunked".equalsIgnoreCase(in.toString(v, 7, java.nio.charset.StandardCharsets.US_ASCII));
  }

  private boolean refuse(ByteBuf in, List<Object> out, String why) {
    resetScan();
    discarding = true;
    in.skipBytes(in.readableBytes());
    FullHttpRequest invalid =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, HttpMethod.GET, "/bad-request", Unpooled.EMPTY_BUFFER);
    invalid.setDecoderResult(DecoderResult.failure(new HeadFramingException(why)));
    methods.add(invalid.method());
    out.add(invalid);
    return false;
  }

  private void resetScan() {
    scanned = 0;
    lineStart = 0;
    lines = 0;
    blankBytes = 0;
    requestLineEnd = -1;
    cancelDeadline();
  }

  private void armDeadline(ChannelHandlerContext ctx) {
    if (headDeadline == null && headTimeoutNanos > 0) {
      headStartNanos = System.nanoTime();
      scheduleDeadline(ctx);
    }
  }

  private void scheduleDeadline(ChannelHandlerContext ctx) {
    headDeadline = ctx.executor().schedule(() -> onDeadline(ctx), headTimeoutNanos, TimeUnit.NANOSECONDS);
  }

  private void onDeadline(ChannelHandlerContext ctx) {
    headDeadline = null;
    if (!ctx.channel().isActive()) {
      return;
    }
    if (!ctx.channel().config().isAutoRead()) {
      scheduleDeadline(ctx); // we are not reading: the rest may be waiting in the socket
      return;
    }
    ByteBuf held = internalBuffer(); // the head so far, blank bytes before it skipped
    Optional<String> requestLine = requestLineEnd < 0 || held.readableBytes() < requestLineEnd
        ? Optional.empty()
        : Optional.of(held.toString(held.readerIndex(), requestLineEnd, StandardCharsets.US_ASCII));
    // No request began: nothing else counts it or logs it.
    ctx.fireUserEventTriggered(HeadTimedOut.of(requestLine, System.nanoTime() - headStartNanos));
    ctx.close();
  }

  private void cancelDeadline() {
    if (headDeadline != null) {
      headDeadline.cancel(false);
      headDeadline = null;
    }
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
    cancelDeadline();
    super.handlerRemoved0(ctx);
  }
}
