package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.parapet.core.seal.SecretValue;
import dev.parapet.runtime.provider.SseWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The key is masked however a JSON writer spelled it, and nothing else is touched. */
class KeyScrubberTest {
  private static String scrub(String body, String key) {
    ByteBuf in = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
    ByteBuf out = KeyScrubber.scrub(UnpooledByteBufAllocator.DEFAULT, in, Optional.of(SecretValue.of(key)));
    try {
      return out.toString(StandardCharsets.UTF_8);
    } finally {
      out.release();
      in.release();
    }
  }

  @Test
  void everySpellingOfTheKeyIsMasked() {
    String key = "loc/al+k\"ey\\9";
    assertEquals("[REDACTED]", scrub(key, key));
    assertEquals("\"[REDACTED]\"", scrub("\"loc\\/al\\u002Bk\\\"ey\\\\9\"", key), "PHP's \\/, .NET's \\u002B");
    assertEquals("[REDACTED] [REDACTED] [REDACTED]", scrub("\\abc \\\\abc \\u005cabc", "\\abc"), "a key that begins with a backslash");
    assertEquals("[REDACTED]", scrub("x", "x"));
    assertEquals("x[REDACTED]y[REDACTED]", scrub("x\\u006C\\u006f\\u0063/al+k\\u0022ey\\u005c9y" + key, key));
  }

  @Test
  void nearMissesStayAsTheyAre() {
    String key = "sk-abc/def";
    for (String body : new String[] {"sk-abc/de", "sk-abc\\\\/def", "sk-abc\\u002/def", "sk-abc\\u00zf/def", "\\", "sk-abc\\"}) {
      assertEquals(body, scrub(body, key));
    }
    assertEquals("a\\u002d[REDACTED]", scrub("a\\u002d" + key, key));
  }

  @Test
  void aWholeAnswerWithoutTheKeyIsNotCopied() {
    Optional<SecretValue> key = Optional.of(SecretValue.of("sk-abc/def"));
    ByteBuf answer = Unpooled.copiedBuffer("{\"content\":\"sk-abc/de \\u0073k\"}", StandardCharsets.UTF_8);
    try {
      assertNull(KeyScrubber.maskedOrNull(answer, key));
      answer.writeCharSequence(" sk-abc\\/def", StandardCharsets.UTF_8);
      assertEquals("{\"content\":\"sk-abc/de \\u0073k\"} [REDACTED]",
          new String(KeyScrubber.maskedOrNull(answer, key), StandardCharsets.UTF_8));
      assertEquals(0, answer.readerIndex(), "read, not consumed");
    } finally {
      answer.release();
    }
  }

  /** Framed for a stream, a payload is masked before it is framed; the framing is never touched. */
  @Test
  void aStreamedPayloadIsMaskedInItsFrame() {
    Optional<SecretValue> key = Optional.of(SecretValue.of("sk-abc/def"));
    int[] masks = {0};
    SseWriter.Filter mask = utf8 -> {
      byte[] masked = KeyScrubber.maskedOrSame(utf8, key);
      masks[0] += masked != utf8 ? 1 : 0;
      return masked;
    };
    ByteBuf out = Unpooled.buffer();
    try {
      SseWriter.frameInto(out, "{\"a\":\"sk-abc/def\"}", mask);
      SseWriter.frameInto(out, "{\"b\":\"clean\"}", mask);
      SseWriter.frameInto(out, "{\r\n\"c\":\"sk-abc\\/def\",\n\"d\":\"sk-abc/def\"}", mask);
      assertEquals("data: {\"a\":\"[REDACTED]\"}\n\ndata: {\"b\":\"clean\"}\n\n"
          + "data: {\ndata: \"c\":\"[REDACTED]\",\ndata: \"d\":\"[REDACTED]\"}\n\n", out.toString(StandardCharsets.UTF_8));
      assertEquals(2, masks[0], "payloads masked");
    } finally {
      out.release();
    }
  }
}
