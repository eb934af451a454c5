package dev.parapet.runtime.upstream;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The gzip and deflate codings of a provider refusal (4xx) undone, so that its body can be scrubbed
 * of the route's key and passed through as identity. We send {@code Accept-Encoding: identity};
 * a provider (or a proxy in front of it) that compresses anyway still refused the call, and the
 * caller gets that refusal rather than a 502 (SPEC §4: provider error bodies pass through for 4xx).
 *
 * <p>What is undone: {@code gzip} and {@code x-gzip} (RFC 1952, one member, its CRC-32 and length
 * checked) and {@code deflate} (RFC 9110 §8.4.1.2: zlib, RFC 1950, with its Adler-32 checked; a
 * raw deflate stream, which some servers send under that name, too), named as content codings,
 * as transfer codings before {@code chunked}, or both: at most {@link #MAX_LAYERS} layers in all.
 * Anything else (br, zstd, compress, a name we do not know, more layers) would need a decoder we
 * do not ship, and stays a 502.
 *
 * <p>Bounded: each layer's output may grow to {@code limit} bytes and no further (the buffer
 * doubles up to it, never past it); one byte more and the decode stops with {@link
 * Outcome#TOO_LARGE}, so a zip bomb costs at most {@code limit} bytes of memory and {@code limit}
 * bytes of inflating per layer. Inflating is the JDK's {@link Inflater} (zlib); here are only the
 * gzip member's header and trailer, read as RFC 1952 §2.3 lays them out.
 */
final class BodyCodings {
  /** Layers undone at most: a content coding under a gzip transfer coding, or {@code gzip, gzip}. */
  static final int MAX_LAYERS = 2;
  private static final int FIRST_BUFFER = 8 * 1024;

  enum Coding { GZIP, DEFLATE }

  enum Outcome { DECODED, TOO_LARGE, MALFORMED }

  /**
   * What a decode gave: when {@link Outcome#DECODED}, the first {@code length} bytes of {@code
   * bytes} (the buffer is not trimmed: no copy of a large body just to shed its slack); else null.
   */
  record Decoded(Outcome outcome, byte[] bytes, int length) {
    static final Decoded TOO_LARGE = new Decoded(Outcome.TOO_LARGE, null, 0);
    static final Decoded MALFORMED = new Decoded(Outcome.MALFORMED, null, 0);

    ByteBuffer buffer() {
      return ByteBuffer.wrap(bytes, 0, length);
    }
  }

  private BodyCodings() {}

  /**
   * The codings applied to the body, in the order they were applied (content codings first, then
   * transfer codings, RFC 9112 §6.1): empty for identity; empty Optional when one of them cannot be
   * undone here or there are more than {@link #MAX_LAYERS}. {@code chunked} is framing, undone by
   * the HTTP decoder; {@code identity} is no coding.
   */
  static Optional<List<Coding>> of(HttpHeaders headers) {
    List<Coding> codings = new ArrayList<>(2);
    for (String value : headers.getAll(HttpHeaderNames.CONTENT_ENCODING)) {
      if (!add(value, false, codings)) {
        return Optional.empty();
      }
    }
    for (String value : headers.getAll(HttpHeaderNames.TRANSFER_ENCODING)) {
      if (!add(value, true, codings)) {
        return Optional.empty();
      }
    }
    return Optional.of(codings);
  }

  private static boolean add(String list, boolean transfer, List<Coding> codings) {
    for (String element : list.split(",", -1)) {
      String c = element.trim();
      if (c.isEmpty() || c.equalsIgnoreCase("identity") || transfer && c.equalsIgnoreCase("chunked")) {
        continue;
      }
      Coding coding;
      if (c.equalsIgnoreCase("gzip") || c.equalsIgnoreCase("x-gzip")) {
        coding = Coding.GZIP;
      } else if (c.equalsIgnoreCase("deflate")) {
        coding = Coding.DEFLATE;
      } else {
        return false;
      }
      if (codings.size() == MAX_LAYERS) {
        return false;
      }
      codings.add(coding);
    }
    return true;
  }

  /**
   * {@code body} with {@code codings} undone, last applied first; no layer's output longer than
   * {@code limit} bytes. {@code body} is read, not kept.
   */
  static Decoded decode(ByteBuffer body, List<Coding> codings, int limit) {
    if (codings.isEmpty()) {
      byte[] out = new byte[body.remaining()];
      body.duplicate().get(out);
      return new Decoded(Outcome.DECODED, out, out.length);
    }
    ByteBuffer in = body;
    Decoded layer = null;
    for (int i = codings.size() - 1; i >= 0; i--) {
      layer = codings.get(i) == Coding.GZIP ? gunzip(in, limit) : inflateDeflate(in, limit);
      if (layer.outcome() != Outcome.DECODED) {
        return layer;
      }
      in = layer.buffer(); // the layer below reads it; nothing else holds it
    }
    return layer;
  }

  /** One gzip member (RFC 1952 §2.3): header, deflate data, CRC-32 and ISIZE; nothing after it. */
  private static Decoded gunzip(ByteBuffer body, int limit) {
    ByteBuffer in = body.duplicate();
    if (in.remaining() < 10) {
      return Decoded.MALFORMED;
    }
    int id1 = in.get() & 0xff;
    int id2 = in.get() & 0xff;
    int cm = in.get() & 0xff;
    int flags = in.get() & 0xff;
    if (id1 != 0x1f || id2 != 0x8b || cm != 8 || (flags & 0xe0) != 0) {
      return Decoded.MALFORMED; // not gzip, not deflate, or reserved flags set
    }
    in.position(in.position() + 6); // MTIME, XFL, OS
    if ((flags & 0x04) != 0) { // FEXTRA
      if (in.remaining() < 2) {
        return Decoded.MALFORMED;
      }
      int xlen = (in.get() & 0xff) | (in.get() & 0xff) << 8;
      if (in.remaining() < xlen) {
        return Decoded.MALFORMED;
      }
      in.position(in.position() + xlen);
    }
    for (int flag : new int[] {0x08, 0x10}) { // FNAME, FCOMMENT: zero-terminated
      if ((flags & flag) != 0 && !skipPastZero(in)) {
        return Decoded.MALFORMED;
      }
    }
    if ((flags & 0x02) != 0) { // FHCRC
      if (in.remaining() < 2) {
        return Decoded.MALFORMED;
      }
      in.position(in.position() + 2);
    }
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(in);
      Decoded data = inflate(inflater, limit);
      if (data.outcome() != Outcome.DECODED) {
        return data;
      }
      // The trailer: exactly eight bytes left, the CRC-32 and the length (mod 2^32), little-endian.
      if (inflater.getRemaining() != 8) {
        return Decoded.MALFORMED; // cut short, or bytes after the member
      }
      ByteBuffer trailer = in.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
      trailer.position(in.limit() - 8);
      CRC32 crc = new CRC32();
      crc.update(data.bytes(), 0, data.length());
      return (int) crc.getValue() == trailer.getInt() && data.length() == trailer.getInt() ? data : Decoded.MALFORMED;
    } finally {
      inflater.end();
    }
  }

  private static boolean skipPastZero(ByteBuffer in) {
    while (in.hasRemaining()) {
      if (in.get() == 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * HTTP's deflate: a zlib stream (its Adler-32 checked by the inflater), or, when the first two
   * bytes are no zlib header (RFC 1950 §2.2: method 8, the pair a multiple of 31), raw deflate, as
   * browsers and Netty's {@code ZLIB_OR_NONE} accept it. Nothing after the stream.
   */
  private static Decoded inflateDeflate(ByteBuffer body, int limit) {
    boolean zlib = body.remaining() >= 2 && (body.get(body.position()) & 0x0f) == 8
        && ((body.get(body.position()) & 0xff) << 8 | body.get(body.position() + 1) & 0xff) % 31 == 0;
    Inflater inflater = new Inflater(!zlib);
    try {
      inflater.setInput(body.duplicate());
      Decoded data = inflate(inflater, limit);
      return data.outcome() == Outcome.DECODED && inflater.getRemaining() != 0 ? Decoded.MALFORMED : data;
    } finally {
      inflater.end();
    }
  }

  /**
   * Inflates all the input given to {@code inflater} into a buffer that doubles up to {@code
   * limit} bytes, never past it. The stream must end within the input (else it was cut short).
   */
  private static Decoded inflate(Inflater inflater, int limit) {
    byte[] out = new byte[Math.min(limit, FIRST_BUFFER)];
    int n = 0;
    try {
      while (!inflater.finished()) {
        if (n == out.length) {
          if (n == limit) {
            // Full at the bound: one more byte means the body is larger than we take.
            if (inflater.inflate(new byte[1]) > 0) {
              return Decoded.TOO_LARGE;
            }
            if (!inflater.finished()) {
              return Decoded.MALFORMED; // wants input or a dictionary it will not get
            }
            break;
          }
          out = Arrays.copyOf(out, (int) Math.min(limit, 2L * n));
        }
        long read = inflater.getBytesRead();
        int k = inflater.inflate(out, n, out.length - n);
        n += k;
        if (k == 0 && !inflater.finished() && (inflater.needsInput() || inflater.needsDictionary()
            || inflater.getBytesRead() == read)) {
          return Decoded.MALFORMED; // cut short (all the input was given), or a preset dictionary
        }
      }
    } catch (DataFormatException e) {
      return Decoded.MALFORMED; // corrupt data or a check that failed; the message is not used
    }
    return new Decoded(Outcome.DECODED, out, n);
  }
}
