package dev.parapet.runtime.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SseWriterTest {
  @Test
  void framesASingleLinePayload() {
    assertEquals("data: {\"a\":\"\u20ac\"}\n\n", frame("{\"a\":\"\u20ac\"}"));
    assertEquals("data: [DONE]\n\n", frame(SseWriter.DONE));
  }

  @Test
  void lineBreaksBecomeDataLinesThatParseBackToTheSamePayload() throws Exception {
    String payload = "{\n\"a\":1,\r\n\"b\":2\r}";
    String framed = frame(payload);
    assertEquals("data: {\ndata: \"a\":1,\ndata: \"b\":2\ndata: }\n\n", framed);
    SseParser parser = new SseParser();
    ByteBuf in = ByteBufAllocator.DEFAULT.buffer();
    try {
      in.writeCharSequence(framed, StandardCharsets.UTF_8);
      assertEquals(List.of(SseEvent.data("{\n\"a\":1,\n\"b\":2\n}")), parser.feed(in));
    } finally {
      in.release();
    }
  }

  @Test
  void aLoneSurrogateBecomesAQuestionMarkAndTheCharacterAfterItSurvives() {
    assertEquals("data: a?\u00e9?b\n\n", frame("a\ud800\u00e9\udc00b"));
    assertEquals("data: \ud83d\ude00?\n\n", frame("\ud83d\ude00\ud83d"));
  }

  /**
   * Random payloads from the characters that matter (ASCII, CR, LF, two- and three-byte
   * characters, a surrogate pair, lone surrogates), framed one after another into one small
   * buffer that must grow: each frame is exactly {@code data: } + the payload's lines, split at
   * CRLF, CR or LF and UTF-8 encoded, joined by {@code \ndata: }, + a blank line.
   */
  @Test
  void randomPayloadsFrameLineByLineIntoAGrowingBuffer() {
    String[] alphabet = {"a", "Z", "\"", " ", "{", "\n", "\r", "\r\n", "\u00e9", "\u20ac", "\ud83d\ude00",
        "\ud800", "\udc00"};
    Random random = new Random(20261206);
    for (int round = 0; round < 300; round++) {
      ByteBuf out = ByteBufAllocator.DEFAULT.buffer(8);
      StringBuilder expected = new StringBuilder();
      try {
        for (int event = 0; event < 1 + random.nextInt(4); event++) {
          StringBuilder payload = new StringBuilder();
          for (int k = random.nextInt(40); k > 0; k--) {
            payload.append(alphabet[random.nextInt(alphabet.length)]);
          }
          SseWriter.frameInto(out, payload.toString());
          expected.append(reference(payload.toString()));
        }
        byte[] written = new byte[out.readableBytes()];
        out.getBytes(out.readerIndex(), written);
        assertEquals(expected.toString(), new String(written, StandardCharsets.ISO_8859_1));
      } finally {
        out.release();
      }
    }
  }

  /** The frame as bytes (one ISO-8859-1 char per byte), built the slow, obvious way. */
  private static String reference(String payload) {
    String[] lines = payload.split("\r\n|\r|\n", -1);
    StringBuilder frame = new StringBuilder();
    for (String line : lines) {
      frame.append(frame.length() == 0 ? "data: " : "\ndata: ");
      frame.append(new String(line.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
    }
    return frame.append("\n\n").toString();
  }

  private static String frame(String payload) {
    ByteBuf buf = SseWriter.frame(ByteBufAllocator.DEFAULT, payload);
    try {
      return buf.toString(StandardCharsets.UTF_8);
    } finally {
      buf.release();
    }
  }
}
