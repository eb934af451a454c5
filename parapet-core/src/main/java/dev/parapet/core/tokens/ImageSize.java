package dev.parapet.core.tokens;

import java.util.Base64;
import java.util.Optional;

/**
 * An image's width and height in pixels, read from the header of a base64-encoded PNG, GIF, WebP
 * or JPEG, as the providers' decoders read them, without decoding the image or even the whole
 * base64 text: only the few bytes the header needs are decoded, at their offsets. So the cost does
 * not grow with the image: a JPEG's segments are skipped by their lengths, at most {@value
 * #MAX_SEGMENTS} of them with at most {@value #MAX_FILL} fill bytes each, so at most a few thousand
 * base64 chars are decoded per image whatever it holds. Nothing here runs a pattern over caller
 * input.
 *
 * <p>Whatever cannot be read (another format, a truncated or inconsistent header, whitespace or a
 * non-base64 char where a needed byte sits) gives empty: the caller then counts the image at its
 * model's maximum.
 */
public record ImageSize(int width, int height) {
  /** A JPEG walk gives up after this many segments before the frame header (real files have ~10). */
  static final int MAX_SEGMENTS = 64;
  /** ... or this many fill bytes before one marker (encoders write none or a few). */
  static final int MAX_FILL = 16;

  public ImageSize {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("size: " + width + "x" + height + " (expected: positive)");
    }
  }

  /**
   * The size of the image whose base64 text is {@code data} from index {@code start} to its end
   * (the part of a {@code data:} URL after {@code base64,}).
   */
  public static Optional<ImageSize> ofBase64(String data, int start) {
    try {
      Bytes b = new Bytes(data, start);
      if (b.at(0) == 0x89 && b.ascii(1, "PNG")) {
        return png(b);
      }
      if (b.ascii(0, "GIF8")) {
        return size(b.le16(6), b.le16(8));
      }
      if (b.ascii(0, "RIFF") && b.ascii(8, "WEBP")) {
        return webp(b);
      }
      if (b.at(0) == 0xFF && b.at(1) == 0xD8) {
        return jpeg(b);
      }
      return Optional.empty();
    } catch (Unreadable e) {
      return Optional.empty();
    }
  }

  private static Optional<ImageSize> png(Bytes b) throws Unreadable {
    // signature (8), then the first chunk must be IHDR: length (4), type (4), width, height (4 each)
    if (!b.ascii(12, "IHDR")) {
      return Optional.empty();
    }
    return size(b.be32(16), b.be32(20));
  }

  private static Optional<ImageSize> webp(Bytes b) throws Unreadable {
    if (b.ascii(12, "VP8 ")) { // lossy: the key frame's start code, then 14-bit sizes
      if (b.at(23) != 0x9D || b.at(24) != 0x01 || b.at(25) != 0x2A) {
        return Optional.empty();
      }
      return size(b.le16(26) & 0x3FFF, b.le16(28) & 0x3FFF);
    }
    if (b.ascii(12, "VP8L")) { // lossless: signature 0x2F, then 14-bit sizes minus one, packed
      if (b.at(20) != 0x2F) {
        return Optional.empty();
      }
      int b0 = b.at(21);
      int b1 = b.at(22);
      int b2 = b.at(23);
      int b3 = b.at(24);
      return size(1 + (((b1 & 0x3F) << 8) | b0), 1 + (((b3 & 0x0F) << 10) | (b2 << 2) | ((b1 & 0xC0) >> 6)));
    }
    if (b.ascii(12, "VP8X")) { // extended: the canvas, 24-bit sizes minus one
      return size(1 + b.le24(24), 1 + b.le24(27));
    }
    return Optional.empty();
  }

  private static Optional<ImageSize> jpeg(Bytes b) throws Unreadable {
    long pos = 2;
    for (int segments = 0; segments < MAX_SEGMENTS; segments++) {
      if (b.at(pos) != 0xFF) {
        return Optional.empty();
      }
      int marker = b.at(pos + 1);
      for (int fill = 0; marker == 0xFF; fill++) { // fill bytes before a marker
        if (fill == MAX_FILL) {
          return Optional.empty();
        }
        pos++;
        marker = b.at(pos + 1);
      }
      if (marker == 0x01 || marker >= 0xD0 && marker <= 0xD7) { // no length
        pos += 2;
        continue;
      }
      if (marker == 0xD9 || marker == 0xDA) { // end of image, or scan data before any frame header
        return Optional.empty();
      }
      int length = b.be16(pos + 2);
      if (length < 2) {
        return Optional.empty();
      }
      boolean frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (frame) { // length (2), precision (1), height (2), width (2)
        return size(b.be16(pos + 7), b.be16(pos + 5));
      }
      pos += 2 + length;
    }
    return Optional.empty();
  }

  private static Optional<ImageSize> size(long width, long height) {
    return width > 0 && height > 0 && width <= Integer.MAX_VALUE && height <= Integer.MAX_VALUE
        ? Optional.of(new ImageSize((int) width, (int) height))
        : Optional.empty();
  }

  /** Thrown inside: a byte past the data's end, or an undecodable char where one was needed. */
  private static final class Unreadable extends Exception {
    Unreadable() {
      super(null, null, false, false);
    }
  }

  /**
   * The decoded bytes of a base64 text, decoded on demand (by the JDK's decoder) a window of
   * {@value #WINDOW_GROUPS} four-char groups at a time, around the bytes asked for.
   */
  private static final class Bytes {
    static final int WINDOW_GROUPS = 16;
    private final String data;
    private final int start;
    private final long groups;
    private long windowFirst = -1; // the index of the window's first byte
    private byte[] window;

    Bytes(String data, int start) throws Unreadable {
      this.data = data;
      this.start = start;
      int chars = data.length() - start;
      if (start < 0 || chars < 4 || chars % 4 != 0) {
        throw new Unreadable(); // whitespace or a cut: not worth guessing where bytes sit
      }
      this.groups = chars / 4;
    }

    int at(long index) throws Unreadable {
      if (index < 0 || index / 3 >= groups) {
        throw new Unreadable();
      }
      if (window == null || index < windowFirst || index >= windowFirst + window.length) {
        long firstGroup = index / 3 / WINDOW_GROUPS * WINDOW_GROUPS;
        long lastGroup = Math.min(groups, firstGroup + WINDOW_GROUPS);
        try {
          window = Base64.getDecoder().decode(
              data.substring(start + (int) firstGroup * 4, start + (int) lastGroup * 4));
        } catch (IllegalArgumentException notBase64) {
          throw new Unreadable();
        }
        windowFirst = firstGroup * 3;
      }
      long i = index - windowFirst;
      if (i >= window.length) { // inside the padding of the last group
        throw new Unreadable();
      }
      return window[(int) i] & 0xFF;
    }

    boolean ascii(long index, String s) throws Unreadable {
      for (int i = 0; i < s.length(); i++) {
        if (at(index + i) != s.charAt(i)) {
          return false;
        }
      }
      return true;
    }

    int be16(long index) throws Unreadable {
      return at(index) << 8 | at(index + 1);
    }

    long be32(long index) throws Unreadable {
      return (long) be16(index) << 16 | be16(index + 2);
    }

    int le16(long index) throws Unreadable {
      return at(index) | at(index + 1) << 8;
    }

    int le24(long index) throws Unreadable {
      return le16(index) | at(index + 2) << 16;
    }
  }
}
