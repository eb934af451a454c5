package dev.parapet.runtime.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SseParserTest {
  private static final String STREAM =
      "\uFEFF: keep-alive comment\n"
          + "event: message_start\n"
          + "data: {\"a\":\"h\u00e9llo \u20ac \uD83D\uDE00\"}\n"
          + "\n"
          + "id: 7\nretry: 1000\nunknown: x\n"
          + "data:no-space\n"
          + "data:  two spaces\n"
          + "data\n"
          + "\n"
          + "event: ping\n\n" // no data: not dispatched
          + "data: [DONE]\n\n";

  private static final List<SseEvent> EXPECTED = List.of(
      new SseEvent(Optional.of("message_start"), "{\"a\":\"h\u00e9llo \u20ac \uD83D\uDE00\"}"),
      SseEvent.data("no-space\n two spaces\n"),
      SseEvent.data("[DONE]"));

  @Test
  void parsesAWholeStream() throws Exception {
    assertEquals(EXPECTED, parse(List.of(STREAM.getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void everySplitPointGivesTheSameEvents() throws Exception {
    for (String eol : List.of("\n", "\r\n", "\r")) {
      byte[] bytes = STREAM.replace("\n", eol).getBytes(StandardCharsets.UTF_8);
      for (int cut = 0; cut <= bytes.length; cut++) {
        List<byte[]> parts = List.of(slice(bytes, 0, cut), slice(bytes, cut, bytes.length));
        assertEquals(EXPECTED, parse(parts), "eol=" + eol.replace("\r", "CR").replace("\n", "LF") + " cut=" + cut);
      }
    }
  }

  @Test
  void byteByByteGivesTheSameEvents() throws Exception {
    for (String eol : List.of("\n", "\r\n", "\r")) {
      byte[] bytes = STREAM.replace("\n", eol).getBytes(StandardCharsets.UTF_8);
      List<byte[]> parts = new ArrayList<>();
      for (int i = 0; i < bytes.length; i++) {
        parts.add(slice(bytes, i, i + 1));
      }
      assertEquals(EXPECTED, parse(parts));
    }
  }

  @Test
  void mixedLineEndingsAndCrLfAcrossBuffers() throws Exception {
    List<byte[]> parts = List.of(
        "data: a\r".getBytes(StandardCharsets.UTF_8),
        "\ndata: b\r".getBytes(StandardCharsets.UTF_8),
        "\r\n".getBytes(StandardCharsets.UTF_8),
        "data: c\n\r".getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of(SseEvent.data("a\nb"), SseEvent.data("c")), parse(parts));
  }

  @Test
  void bomOnlyAtTheVeryStartIsSkipped() throws Exception {
    String s = "data: x\n\n\uFEFFdata: y\n\n";
    List<SseEvent> events = parse(List.of(s.getBytes(StandardCharsets.UTF_8)));
    // A later BOM is part of the field name, so "\uFEFFdata" is an unknown field.
    assertEquals(List.of(SseEvent.data("x")), events);
  }

  @Test
  void emptyDataIsDispatchedAsEmptyString() throws Exception {
    assertEquals(List.of(SseEvent.data("")), parse(List.of("data:\n\n".getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void incompleteFinalEventIsDiscardedOnFinish() throws Exception {
    SseParser parser = new SseParser();
    List<SseEvent> events = new ArrayList<>();
    ByteBuf buf = Unpooled.copiedBuffer("data: one\n\ndata: two\n", StandardCharsets.UTF_8);
    try {
      parser.feed(buf, events::add);
      assertFalse(buf.isReadable(), "feed consumes all readable bytes");
    } finally {
      buf.release();
    }
    assertTrue(parser.finish(events::add));
    assertEquals(List.of(SseEvent.data("one")), events);
    assertFalse(parser.finish(events::add), "nothing pending after a reset");
  }

  @Test
  void oversizeEventFails() throws Exception {
    SseParser parser = new SseParser(64);
    ByteBuf ok = Unpooled.copiedBuffer("data: " + "x".repeat(40) + "\n\n", StandardCharsets.UTF_8);
    ByteBuf big = Unpooled.copiedBuffer("data: " + "x".repeat(40) + "\ndata: " + "y".repeat(40) + "\n",
        StandardCharsets.UTF_8);
    ByteBuf after = Unpooled.copiedBuffer("\n", StandardCharsets.UTF_8);
    try {
      assertEquals(1, parser.feed(ok).size());
      assertThrows(ProviderProtocolException.class, () -> parser.feed(big));
      assertThrows(ProviderProtocolException.class, () -> parser.feed(after));
    } finally {
      ok.release();
      big.release();
      after.release();
    }
  }

  @Test
  void oversizeLineWithoutEndFailsWithoutBufferingIt() {
    SseParser parser = new SseParser(1024);
    assertThrows(ProviderProtocolException.class, () -> {
      for (int i = 0; i < 100; i++) {
        ByteBuf chunk = Unpooled.copiedBuffer("x".repeat(100), StandardCharsets.UTF_8);
        try {
          parser.feed(chunk);
        } finally {
          chunk.release();
        }
      }
    });
  }

  @Test
  void invalidUtf8BecomesReplacementCharacter() throws Exception {
    byte[] bytes = {'d', 'a', 't', 'a', ':', ' ', (byte) 0xC3, '\n', '\n'};
    assertEquals(List.of(SseEvent.data("\uFFFD")), parse(List.<byte[]>of(bytes)));
  }

  private static List<SseEvent> parse(List<byte[]> parts) throws ProviderProtocolException {
    SseParser parser = new SseParser();
    List<SseEvent> events = new ArrayList<>();
    for (byte[] part : parts) {
      ByteBuf buf = Unpooled.wrappedBuffer(part);
      try {
        parser.feed(buf, events::add);
      } finally {
        buf.release();
      }
    }
    parser.finish(events::add);
    return events;
  }

  private static byte[] slice(byte[] b, int from, int to) {
    byte[] out = new byte[to - from];
    System.arraycopy(b, from, out, 0, out.length);
    return out;
  }

  @Test
  void lineEndFindsWhatAByteByByteSearchFinds() {
    java.util.Random rnd = new java.util.Random(7);
    byte[] alphabet = {'a', 'b', '\r', '\n', ':', ' ', (byte) 0xC3};
    for (int round = 0; round < 2000; round++) {
      byte[] bytes = new byte[1 + rnd.nextInt(80)];
      for (int k = 0; k < bytes.length; k++) {
        bytes[k] = rnd.nextInt(6) == 0 ? alphabet[rnd.nextInt(alphabet.length)] : (byte) ('a' + rnd.nextInt(26));
      }
      io.netty.buffer.ByteBuf heap = io.netty.buffer.Unpooled.wrappedBuffer(bytes);
      io.netty.buffer.ByteBuf direct = io.netty.buffer.Unpooled.directBuffer(bytes.length).writeBytes(bytes);
      try {
        int from = rnd.nextInt(bytes.length);
        int to = from + rnd.nextInt(bytes.length - from + 1);
        int expected = heap.forEachByte(from, to - from, io.netty.util.ByteProcessor.FIND_CRLF);
        assertEquals(expected, SseParser.lineEnd(heap, from, to), "heap " + round);
        assertEquals(expected, SseParser.lineEnd(direct, from, to), "direct " + round);
      } finally {
        heap.release();
        direct.release();
      }
    }
  }
}
