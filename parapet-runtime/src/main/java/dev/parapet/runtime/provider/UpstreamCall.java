package dev.parapet.runtime.provider;

import java.net.URI;
import java.util.Map;
import java.util.Objects;

/**
 * One HTTP request to a provider, fully decided by the adapter: the URL comes from the route's
 * {@code base_url} (never from the caller), the headers are exactly those listed (the provider
 * key among them), nothing of the caller's is copied implicitly.
 *
 * @param headers header name (lower case) to value; includes the injected provider key, so this
 *     record's {@link #toString()} masks values
 * @param body the JSON bytes to POST
 */
public record UpstreamCall(URI uri, Map<String, String> headers, byte[] body) {
  public UpstreamCall {
    Objects.requireNonNull(uri, "uri");
    headers = Map.copyOf(headers);
    Objects.requireNonNull(body, "body");
  }

  @Override
  public String toString() {
    return "UpstreamCall[uri=" + uri + ", headers=" + headers.keySet() + ", body=" + body.length + " bytes]";
  }
}
