package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parapet.core.seal.SecretValue;
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
}
