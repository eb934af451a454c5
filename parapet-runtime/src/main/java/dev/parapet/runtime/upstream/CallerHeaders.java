package dev.parapet.runtime.upstream;

import dev.parapet.core.seal.SecretValue;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Which provider response fields reach the caller: an allow list, because anything else could be
 * hop-by-hop (RFC 9110 §7.6.1, RFC 9112 §9.6), set a cookie for the provider's domain, or leak
 * where the provider runs. The provider's request id is renamed so it cannot be mistaken for ours.
 * A field whose value holds the route's provider key is dropped, whatever its name: a provider
 * that echoes the key it was sent (in a request id, a rate-limit note) must not hand it to the
 * caller — the body gets the same treatment from {@link KeyScrubber}.
 */
final class CallerHeaders {
  static final String UPSTREAM_REQUEST_ID = "x-upstream-request-id";

  private CallerHeaders() {}

  static HttpHeaders from(HttpHeaders upstream, boolean withContentType, Optional<SecretValue> providerKey) {
    HttpHeaders out = new DefaultHttpHeaders();
    String key = providerKey.isPresent() && !providerKey.get().isEmpty() ? providerKey.get().reveal() : null;
    for (Map.Entry<String, String> e : upstream) {
      // Compared ignoring case without lower-casing every name: most of the provider's are dropped.
      String name = e.getKey();
      String value = e.getValue();
      if (key != null && value.contains(key)) {
        continue;
      }
      if (is(name, "retry-after") || name.regionMatches(true, 0, RATE_LIMIT_PREFIX, 0, RATE_LIMIT_PREFIX.length())
          || (withContentType && is(name, "content-type"))) {
        out.add(name.toLowerCase(Locale.ROOT), value);
      } else if ((is(name, "x-request-id") || is(name, "request-id")) && !out.contains(UPSTREAM_REQUEST_ID)) {
        out.set(UPSTREAM_REQUEST_ID, value);
      }
    }
    if (withContentType && !out.contains(HttpHeaderNames.CONTENT_TYPE)) {
      out.set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
    }
    return out;
  }

  private static final String RATE_LIMIT_PREFIX = "x-ratelimit-";

  private static boolean is(String name, String lowerCase) {
    return name.length() == lowerCase.length() && name.regionMatches(true, 0, lowerCase, 0, lowerCase.length());
  }
}
