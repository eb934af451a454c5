package dev.parapet.runtime.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BasicCredentialsTest {
  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static Optional<BasicCredentials> parse(String... headers) {
    return BasicCredentials.parse(List.of(headers));
  }

  @Test
  void wellFormed() {
    BasicCredentials c = parse("Basic " + b64("alice:s3cret:with:colons")).orElseThrow();
    assertEquals("alice", c.username());
    assertArrayEquals("s3cret:with:colons".getBytes(StandardCharsets.UTF_8), c.password());
    c.close();
    assertArrayEquals(new byte[c.password().length], c.password(), "close zeroes the password");
    assertEquals("jürgen", parse("bAsIc   " + b64("jürgen:pw")).orElseThrow().username());
    assertTrue(parse("Basic " + b64("bob:")).isPresent(), "an empty password is just a wrong one");
  }

  @Test
  void anythingElseIsRefused() {
    assertTrue(BasicCredentials.parse(List.of()).isEmpty());
    assertTrue(parse("Basic " + b64("a:b"), "Basic " + b64("a:b")).isEmpty(), "two headers");
    for (String h : new String[] {
        "Bearer abc", "Basic", "Basic ", "Basic" + b64("a:b"), "Basic !!!", "Basic " + b64("nocolon"),
        "Basic " + b64(":nouser"), "Basic " + b64("a:b") + " x", "Basic " + b64("ab:c").replace("=", ""), "Basic YWI6Yx==",
        "Basic " + b64("ctl\u0001user:pw"), "Basic " + "QUJD".repeat(300), "Digest " + b64("a:b")}) {
      assertTrue(parse(h).isEmpty(), h);
    }
    byte[] bad = {(byte) 0xff, (byte) 0xfe, ':', 'p'};
    assertTrue(parse("Basic " + Base64.getEncoder().encodeToString(bad)).isEmpty(), "user not UTF-8");
  }
}
