package dev.parapet.core.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ImageSizeTest {
  private static String encode(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(image, format, out)) {
      throw new IllegalStateException("no writer for " + format);
    }
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }

  private static Optional<ImageSize> read(String base64) {
    String url = "data:image/x;base64," + base64;
    return ImageSize.ofBase64(url, url.indexOf(',') + 1);
  }

  @Test
  void readsTheSizeOfRealPngGifAndJpegFiles() throws IOException {
    for (String format : new String[] {"png", "gif", "jpg"}) {
      for (int[] size : new int[][] {{1, 1}, {640, 480}, {37, 1999}, {2500, 3}}) {
        BufferedImage image = new BufferedImage(size[0], size[1], BufferedImage.TYPE_INT_RGB);
        assertEquals(Optional.of(new ImageSize(size[0], size[1])), read(encode(image, format)),
            format + " " + size[0] + "x" + size[1]);
      }
    }
  }

  @Test
  void aJpegsFrameHeaderIsFoundPastLongSegments() throws IOException {
    byte[] jpeg = Base64.getDecoder().decode(encode(new BufferedImage(300, 200, BufferedImage.TYPE_INT_RGB), "jpg"));
    // An APP1 segment of 60,000 bytes (as EXIF with a thumbnail can be), fill bytes, then the rest.
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(jpeg, 0, 2);
    b.write(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) (60_002 >> 8), (byte) 60_002});
    b.write(new byte[60_000], 0, 60_000);
    b.write(0xFF);
    b.write(jpeg, 2, jpeg.length - 2);
    assertEquals(Optional.of(new ImageSize(300, 200)), read(Base64.getEncoder().encodeToString(b.toByteArray())));
  }

  private static byte[] riff(String chunk, byte[] payload) {
    byte[] b = new byte[20 + payload.length];
    System.arraycopy("RIFF".getBytes(), 0, b, 0, 4);
    System.arraycopy("WEBP".getBytes(), 0, b, 8, 4);
    System.arraycopy(chunk.getBytes(), 0, b, 12, 4);
    System.arraycopy(payload, 0, b, 20, payload.length);
    return b;
  }

  @Test
  void readsTheThreeKindsOfWebp() {
    // lossy: frame tag (3), start code 9d 01 2a, then 14-bit width and height
    byte[] lossy = riff("VP8 ", new byte[] {0, 0, 0, (byte) 0x9D, 0x01, 0x2A, (byte) 0x20, 0x03, (byte) 0x58, 0x02});
    assertEquals(Optional.of(new ImageSize(800, 600)), read(Base64.getEncoder().encodeToString(lossy)));
    // lossless: 0x2f, then width-1 (14 bits) and height-1 (14 bits), packed little-endian
    int w = 1023;
    int h = 4095;
    int bits = (w - 1) | (h - 1) << 14;
    byte[] lossless = riff("VP8L", new byte[] {0x2F, (byte) bits, (byte) (bits >> 8), (byte) (bits >> 16),
        (byte) (bits >> 24)});
    assertEquals(Optional.of(new ImageSize(w, h)), read(Base64.getEncoder().encodeToString(lossless)));
    // extended: flags (4), then canvas width-1 and height-1 in 24 bits each
    byte[] extended = riff("VP8X", new byte[] {0, 0, 0, 0, (byte) 0x3F, 0x42, 0x0F, 0x01, 0, 0});
    assertEquals(Optional.of(new ImageSize(1_000_000, 2)), read(Base64.getEncoder().encodeToString(extended)));
  }

  @Test
  void whatCannotBeReadIsEmptyNeverAnError() throws IOException {
    String png = encode(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB), "png");
    String jpeg = encode(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB), "jpg");
    for (String bad : new String[] {
        "", "AAAA", "not base64 at all!!", png.substring(0, 20), png.substring(0, 16) + "\n" + png.substring(16),
        png.substring(0, 8) + "*" + png.substring(9), // a bad char inside the header
        jpeg.substring(0, 12), // cut inside the segments
        Base64.getEncoder().encodeToString("GIF8".getBytes()), // too short for a size
        Base64.getEncoder().encodeToString("<svg width='10' height='10'/>".getBytes()),
        Base64.getEncoder().encodeToString(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xD9, 0, 0}),
        Base64.getEncoder().encodeToString(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 1}),
    }) {
      assertEquals(Optional.empty(), read(bad), bad.length() > 40 ? bad.substring(0, 40) : bad);
    }
    // a PNG whose header says 0 wide
    byte[] zero = Base64.getDecoder().decode(png);
    Arrays.fill(zero, 16, 20, (byte) 0);
    assertEquals(Optional.empty(), read(Base64.getEncoder().encodeToString(zero)));
  }

  @Test
  void aJpegWithARunOfFillBytesGivesUpAfterTheBound() throws IOException {
    byte[] jpeg = Base64.getDecoder().decode(encode(new BufferedImage(30, 20, BufferedImage.TYPE_INT_RGB), "jpg"));
    for (int fill : new int[] {ImageSize.MAX_FILL, ImageSize.MAX_FILL + 1, 100_000}) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      b.write(jpeg, 0, 2);
      for (int i = 0; i < fill; i++) {
        b.write(0xFF);
      }
      b.write(jpeg, 2, jpeg.length - 2);
      assertEquals(fill <= ImageSize.MAX_FILL ? Optional.of(new ImageSize(30, 20)) : Optional.empty(),
          read(Base64.getEncoder().encodeToString(b.toByteArray())), fill + " fill bytes");
    }
  }

  /** Random headers behind each format's signature: never an exception, never a size of 0. */
  @Test
  void randomHeadersNeverThrow() {
    byte[][] signatures = {
        {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, 'I', 'H', 'D', 'R'}, {'G', 'I', 'F', '8'},
        {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'L'},
        {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X'}, {(byte) 0xFF, (byte) 0xD8},
        {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF}};
    java.util.Random random = new java.util.Random(6);
    for (int i = 0; i < 30_000; i++) {
      byte[] sig = signatures[i % signatures.length];
      byte[] b = new byte[sig.length + random.nextInt(80)];
      random.nextBytes(b);
      System.arraycopy(sig, 0, b, 0, sig.length);
      if (random.nextBoolean()) { // JPEG-like runs of markers and short lengths
        for (int j = sig.length; j + 3 < b.length; j += 4) {
          b[j] = (byte) 0xFF;
          b[j + 2] = 0;
        }
      }
      read(Base64.getEncoder().encodeToString(b)).ifPresent(size -> {
        if (size.width() <= 0 || size.height() <= 0) {
          throw new AssertionError(size.toString());
        }
      });
    }
  }

  @Test
  void aJpegOfOnlySegmentsGivesUpAfterTheBound() {
    // SOI, then more tiny segments than the walk reads: it stops, empty, having read a bounded number
    int n = ImageSize.MAX_SEGMENTS + 10;
    byte[] b = new byte[2 + 4 * n + 16];
    b[0] = (byte) 0xFF;
    b[1] = (byte) 0xD8;
    for (int i = 0; i < n; i++) {
      b[2 + 4 * i] = (byte) 0xFF;
      b[3 + 4 * i] = (byte) 0xFE; // a comment
      b[5 + 4 * i] = 2;
    }
    int sof = 2 + 4 * n;
    b[sof] = (byte) 0xFF;
    b[sof + 1] = (byte) 0xC0;
    b[sof + 3] = 17;
    b[sof + 6] = 10;
    b[sof + 8] = 10;
    assertEquals(Optional.empty(), read(Base64.getEncoder().encodeToString(b)));
  }
}
