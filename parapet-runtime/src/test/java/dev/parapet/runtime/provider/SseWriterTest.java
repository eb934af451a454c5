package dev.parapet.runtime.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.List;
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

  private static String frame(String payload) {
    ByteBuf buf = SseWriter.frame(ByteBufAllocator.DEFAULT, payload);
    try {
      return buf.toString(StandardCharsets.UTF_8);
    } finally {
      buf.release();
    }
  }
}
