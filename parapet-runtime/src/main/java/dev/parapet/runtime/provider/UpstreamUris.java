package dev.parapet.runtime.provider;

import dev.parapet.core.config.Route;
import java.net.URI;

/** Builds provider endpoint URLs from a route's {@code base_url} only, never from the caller. */
final class UpstreamUris {
  private UpstreamUris() {}

  /** The route's base URL, or its provider type's default. */
  static URI base(Route route) {
    return route.provider().baseUrl()
        .or(() -> route.provider().type().defaultBaseUrl().map(URI::create))
        .orElseThrow(() -> new IllegalStateException(
            "route " + route.name() + ": base_url required for " + route.provider().type().yamlName()));
  }

  /**
   * {@code base} with {@code endpoint} appended to its path: {@code https://api.openai.com/v1} and
   * {@code chat/completions} give {@code https://api.openai.com/v1/chat/completions}. Trailing
   * slashes on the base are tolerated; a query on the base (some gateways carry an API version
   * there) is kept.
   */
  static URI join(URI base, String endpoint) {
    String path = base.getRawPath() == null ? "" : base.getRawPath();
    int end = path.length();
    while (end > 0 && path.charAt(end - 1) == '/') {
      end--;
    }
    StringBuilder sb = new StringBuilder();
    sb.append(base.getScheme()).append("://").append(base.getRawAuthority());
    sb.append(path, 0, end).append('/').append(endpoint);
    if (base.getRawQuery() != null) {
      sb.append('?').append(base.getRawQuery());
    }
    return URI.create(sb.toString());
  }
}
