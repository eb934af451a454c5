package dev.parapet.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvFileTest {

  @Test
  void readsTheDotenvForms() throws Exception {
    String text = String.join("\n",
        "# a comment",
        "",
        "PLAIN=abc123",
        "export EXPORTED=value",
        "SINGLE='it has $HOME and # and \"quotes\"'",
        "DOUBLE=\"line\\nbreak \\\"q\\\" $NOT_EXPANDED\"",
        "TRAILING=value # comment",
        "HASHED=a#b",
        "SPACED = spaced  ",
        "EMPTY=",
        "WINDOWS=crlf\r",
        "");
    Map<String, String> v = EnvFile.parse(text, "s.env").values();
    assertEquals("abc123", v.get("PLAIN"));
    assertEquals("value", v.get("EXPORTED"));
    assertEquals("it has $HOME and # and \"quotes\"", v.get("SINGLE"));
    assertEquals("line\nbreak \"q\" $NOT_EXPANDED", v.get("DOUBLE"));
    assertEquals("value", v.get("TRAILING"));
    assertEquals("a#b", v.get("HASHED"));
    assertEquals("spaced", v.get("SPACED"));
    assertEquals("", v.get("EMPTY"));
    assertEquals("crlf", v.get("WINDOWS"));
  }

  @Test
  void malformedLinesAreNamedByNumberNeverByContent() {
    String text = "GOOD=1\nsk-live-SECRETVALUE\nKEY='unterminated SECRETVALUE\n9BAD=SECRETVALUE\nX=\"a\" SECRETVALUE\n";
    CommandFailure f = assertThrows(CommandFailure.class, () -> EnvFile.parse(text, "s.env"));
    assertEquals(4, f.lines().size(), f.lines().toString());
    assertTrue(f.lines().get(0).startsWith("s.env:2: "));
    assertTrue(f.lines().get(1).startsWith("s.env:3: "));
    assertTrue(f.lines().get(2).startsWith("s.env:4: "));
    assertTrue(f.lines().get(3).startsWith("s.env:5: "));
    f.lines().forEach(l -> assertFalse(l.contains("SECRETVALUE"), l));
  }
}
