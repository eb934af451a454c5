package dev.parapet.runtime.upstream;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Locale;
import java.util.Map;

/**
 * Which provider response fields reach the caller: an allow list, because anything else could be
 * hop-by-hop (RFC 9110 §7.6.1, RFC 9112 §9.6), set a cookie for the provider's domain, or leak
 * where the provider runs. The provider's request id is renamed so it cannot be mistaken for ours.
 */
final class CallerHeaders {
  static final String UPSTREAM_REQUEST_ID = "x-upstream-request-id";

  private CallerHeaders() {}

  static HttpHeaders from(HttpHeaders upstream, boolean withContentType) {
    HttpHeaders out = new DefaultHttpHeaders();
    for (Map.Entry<String, String> e : upstream) {
      String name = e.getKey().toLowerCase(Locale.ROOT);
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
