package dev.parapet.runtime.upstream;

import java.net.URI;
import java.util.Locale;

/**
 * Where a provider lives, the key of a connection pool: scheme, host and port (RFC 9110 §4.3.1).
 * Two routes on the same provider share connections; nothing of the path does.
 */
record Origin(String scheme, String host, int port) {

  static Origin of(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("base_url: scheme " + scheme + " (expected: http or https)");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("base_url: no host");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1); // IPv6 literal: connect without brackets
    }
    int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
    return new Origin(scheme, host.toLowerCase(Locale.ROOT), port);
  }

  boolean tls() {
    return scheme.equals("https");
  }

  boolean ipLiteral() {
    return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
  }

  /** The Host header (RFC 9110 §7.2): the port only when it is not the scheme's default. */
  String hostHeader() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    boolean defaultPort = port == (tls() ? 443 : 80);
    return defaultPort ? h : h + ":" + port;
  }

  /**
   * {@code scheme://host:port}, the port always written: the {@code origin} label of the pool
   * metrics. Nothing of the base URL's path or user info.
   */
  String label() {
    return scheme + "://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return scheme + "://" + hostHeader();
  }
}
