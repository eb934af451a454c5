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
    String key = providerKey.filter(k -> !k.isEmpty()).map(SecretValue::reveal).orElse(null);
    for (Map.Entry<String, String> e : upstream) {
      String name = e.getKey().toLowerCase(Locale.ROOT);
      if (key != null && e.getValue().contains(key)) {
        continue;
      }
      if (name.equals("retry-after") || name.startsWith("x-ratelimit-")
          || (withContentType && name.equals("content-type"))) {
        out.add(name, e.getValue());
      } else if ((name.equals("x-request-id") || name.equals("request-id")) && !out.contains(UPSTREAM_REQUEST_ID)) {
        out.set(UPSTREAM_REQUEST_ID, e.getValue());
      }
    }
    if (withContentType && !out.contains(HttpHeaderNames.CONTENT_TYPE)) {
      out.set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
    }
    return out;
  }
}
