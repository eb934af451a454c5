package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Mark;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code provider.base_url}: where a route's calls go. The provider key is sent there, so the URL
 * must be exactly an origin plus path: no credentials in it, no query or fragment to smuggle
 * parameters, and TLS for the hosted providers unless the host is this machine (tests, sidecars).
 */
final class BaseUrls {
  static final String HINT = "an absolute http(s) URL like http://127.0.0.1:8080/v1";
  private static final int MAX_LENGTH = 2048;
  private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

  private BaseUrls() {}

  /** The URL without trailing slashes, or empty after reporting what is wrong. */
  static Optional<URI> check(String text, ProviderType type, String path, Mark at, Problems problems) {
    String shown = Quoting.quote(withoutSecrets(text));
    if (text.length() > MAX_LENGTH) {
      return bad(problems, path, at, shown + " is too long (expected: at most " + MAX_LENGTH + " characters)");
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      return bad(problems, path, at, shown + " is not a URL (expected: " + HINT + ")");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!uri.isAbsolute() || !(scheme.equals("http") || scheme.equals("https"))) {
      return bad(problems, path, at, shown + " (expected: " + HINT + ")");
    }
    if (uri.getRawUserInfo() != null) {
      return bad(problems, path, at,
          shown + " contains user info (expected: no credentials in the URL; use provider_key_ref)");
    }
    if (uri.getHost() == null) {
      return bad(problems, path, at, shown + " has no valid host (expected: " + HINT + ")");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      return bad(problems, path, at, shown + " has a query or fragment (expected: scheme, host, port and path only)");
    }
    boolean hosted = type == ProviderType.OPENAI || type == ProviderType.ANTHROPIC;
    if (hosted && scheme.equals("http") && !isLoopback(uri.getHost())) {
      return bad(problems, path, at,
          shown + " (expected: https for " + type.yamlName()
              + "; plain http only to a loopback host: 127.0.0.0/8, ::1, localhost)");
    }
    String rawPath = uri.getRawPath() == null ? "" : uri.getRawPath();
    String trimmed = rawPath.replaceAll("/+$", "");
    String authority = uri.getRawAuthority();
    return Optional.of(URI.create(scheme + "://" + authority + trimmed));
  }

  /**
   * The URL as it may appear in a message: problems end up in CI logs. Anything between the scheme
   * and the last {@code @} may be a password (written raw, it may hold {@code /}, {@code ?} or
   * {@code #}, so the last {@code @} anywhere is taken), and a query or fragment may carry a key
   * ({@code ?key=}); both are masked.
   */
  static String withoutSecrets(String text) {
    int scheme = text.indexOf("://");
    int start = scheme < 0 ? 0 : scheme + 3;
    int at = text.lastIndexOf('@');
    String masked = at < start ? text : text.substring(0, start) + "***" + text.substring(at);
    for (int i = start; i < masked.length(); i++) {
      char c = masked.charAt(i);
      if (c == '?' || c == '#') {
        return masked.substring(0, i + 1) + "***";
      }
    }
    return masked;
  }

  /** Loopback by its literal form only: no DNS at build time, and a name cannot move. */
  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.equals("localhost")) {
      return true;
    }
    var ipv4 = IPV4.matcher(h);
    if (ipv4.matches()) {
      for (int i = 1; i <= 4; i++) {
        if (Integer.parseInt(ipv4.group(i)) > 255) {
          return false;
        }
      }
      return ipv4.group(1).equals("127");
    }
    if (h.startsWith("[") && h.endsWith("]")) {
      try {
        // a bracketed literal is parsed, never looked up
        return InetAddress.getByName(h).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  private static Optional<URI> bad(Problems problems, String path, Mark at, String message) {
    problems.error(Kind.VALUE, path, message, at, HINT);
    return Optional.empty();
  }
}
