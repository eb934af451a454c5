package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parapet.core.seal.SecretValue;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CallerHeadersTest {
  private static final String KEY = "sk-live-0123456789abcdef0123";

  @Test
  void aFieldQuotingTheProviderKeyIsDroppedWhateverItsName() {
    HttpHeaders upstream = new DefaultHttpHeaders()
        .add("x-request-id", "req_" + KEY)
        .add("retry-after", KEY)
        .add("x-ratelimit-remaining-requests", "key " + KEY + " has 0 left")
        .add("x-ratelimit-limit-requests", "100")
        .add("request-id", "req_42")
        .add("content-type", "application/json");
    HttpHeaders out = CallerHeaders.from(upstream, true, Optional.of(SecretValue.of(KEY)));
    assertEquals("100", out.get("x-ratelimit-limit-requests"));
    assertEquals("req_42", out.get(CallerHeaders.UPSTREAM_REQUEST_ID));
    assertEquals("application/json", out.get("content-type"));
    assertEquals(3, out.size(), out.toString());
  }

  @Test
  void withoutAKeyTheAllowListAloneDecides() {
    HttpHeaders upstream = new DefaultHttpHeaders().add("retry-after", "3").add("set-cookie", "a=b");
    HttpHeaders out = CallerHeaders.from(upstream, false, Optional.empty());
    assertEquals("3", out.get("retry-after"));
    assertEquals(1, out.size());
  }

  @Test
  void namesMatchWhateverTheirCaseAndLeaveLowerCased() {
    HttpHeaders upstream = new DefaultHttpHeaders()
        .add("Retry-After", "3")
        .add("X-RateLimit-Remaining-Tokens", "9")
        .add("X-Request-ID", "req_7")
        .add("Content-Type", "text/plain")
        .add("X-RateLimit", "no dash: not a rate-limit field")
        .add("Retry-After-X", "not retry-after")
        .add("Server", "nginx")
        .add("Set-Cookie", "a=b");
    HttpHeaders out = CallerHeaders.from(upstream, true, Optional.empty());
    assertEquals("3", out.get("retry-after"));
    assertEquals("9", out.get("x-ratelimit-remaining-tokens"));
    assertEquals("req_7", out.get(CallerHeaders.UPSTREAM_REQUEST_ID));
    assertEquals("text/plain", out.get("content-type"));
    assertEquals(4, out.size(), out.toString());
    out.names().forEach(n -> assertEquals(n.toLowerCase(java.util.Locale.ROOT), n));
  }
}
