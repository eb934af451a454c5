package dev.parapet.runtime.upstream;

import dev.parapet.core.config.Quoting;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.util.NetUtil;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The forward proxy that carries provider connections out of a network that allows no direct
 * egress ({@value #PROXY_ENV}, {@value #NO_PROXY_ENV}): a deployment knob, not policy. Only https
 * origins go through it, each in a tunnel opened with {@code CONNECT host:port} naming the
 * origin's host name (RFC 9110 §9.3.6; the proxy resolves it), TLS end to end inside the tunnel.
 * Plain-http origins (model servers beside Parapet), loopback origins and the {@value
 * #NO_PROXY_ENV} list connect directly.
 *
 * <p>Never prints its password: not in {@link #toString}, not in a refusal of the value.
 */
public final class EgressProxy {
  public static final String PROXY_ENV = "PARAPET_UPSTREAM_PROXY";
  public static final String NO_PROXY_ENV = "PARAPET_UPSTREAM_NO_PROXY";
  static final int DEFAULT_PORT = 80; // what an http:// URL without a port means (RFC 9110 §4.2.1)
  private static final String EXPECTED = "(expected: http://[user:password@]host[:port])";
  private static final int MAX_LENGTH = 2048;
  private static final int MAX_NO_PROXY_ENTRIES = 256;

  private final String host;
  private final int port;
  private final Optional<String> user;
  private final String password;
  private final List<String> noProxy; // lower case, no leading dot; "*" for every host

  private EgressProxy(String host, int port, Optional<String> user, String password, List<String> noProxy) {
    this.host = host;
    this.port = port;
    this.user = user;
    this.password = password;
    this.noProxy = List.copyOf(noProxy);
  }

  /**
   * The proxy {@code proxy} and {@code noProxy} (the two variables' values, either null) describe;
   * empty when {@code proxy} is unset or empty: every origin connects directly.
   *
   * @throws IllegalArgumentException naming the variable and what is wrong, never the password
   */
  public static Optional<EgressProxy> parse(String proxy, String noProxy) {
    if (proxy == null || proxy.isEmpty()) {
      return Optional.empty();
    }
    if (proxy.length() > MAX_LENGTH) {
      throw bad("longer than " + MAX_LENGTH + " characters");
    }
    int colon = proxy.indexOf("://");
    if (colon < 0) {
      throw bad("not a URL");
    }
    String scheme = proxy.substring(0, colon).toLowerCase(Locale.ROOT);
    if (!scheme.equals("http")) {
      // https:// (TLS to the proxy itself) and socks are not supported: name them, nothing else.
      throw bad("scheme " + Quoting.quote(safeScheme(scheme)) + " is not supported");
    }
    String rest = proxy.substring(colon + 3);
    int end = 0;
    while (end < rest.length() && "/?#".indexOf(rest.charAt(end)) < 0) {
      end++;
    }
    String authority = rest.substring(0, end);
    String tail = rest.substring(end);
    if (!tail.isEmpty() && !tail.equals("/")) {
      throw bad("a proxy URL has no path, query or fragment");
    }
    Optional<String> user = Optional.empty();
    String password = "";
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      String userInfo = authority.substring(0, at);
      authority = authority.substring(at + 1);
      int sep = userInfo.indexOf(':');
      String u = decode(sep < 0 ? userInfo : userInfo.substring(0, sep), "user");
      password = sep < 0 ? "" : decode(userInfo.substring(sep + 1), "password");
      if (u.isEmpty()) {
        throw bad("empty user");
      }
      if (u.indexOf(':') >= 0) {
        throw bad("the user contains ':' (RFC 7617 §2)");
      }
      user = Optional.of(u);
    }
    String host;
    int port;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) {
        throw bad("unclosed [ in the host");
      }
      host = authority.substring(1, close);
      if (!NetUtil.isValidIpV6Address(host)) {
        throw bad("host " + Quoting.quote(host) + " is not an IPv6 address");
      }
      port = port(authority.substring(close + 1));
    } else {
      int sep = authority.indexOf(':');
      host = sep < 0 ? authority : authority.substring(0, sep);
      port = sep < 0 ? DEFAULT_PORT : port(authority.substring(sep));
      if (!isHostName(host)) {
        throw bad("host " + Quoting.quote(host) + " is not a host name or IPv4 address");
      }
    }
    return Optional.of(new EgressProxy(host.toLowerCase(Locale.ROOT), port, user, password, noProxy(noProxy)));
  }

  private static int port(String colonPort) {
    if (colonPort.isEmpty()) {
      return DEFAULT_PORT;
    }
    String digits = colonPort.substring(1);
    if (colonPort.charAt(0) != ':' || digits.isEmpty() || digits.length() > 5
        || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw bad("the port is not a number 1..65535");
    }
    int port = Integer.parseInt(digits);
    if (port < 1 || port > 65535) {
      throw bad("the port is not a number 1..65535");
    }
    return port;
  }

  private static List<String> noProxy(String value) {
    List<String> entries = new ArrayList<>();
    if (value == null) {
      return entries;
    }
    if (value.length() > MAX_LENGTH * 8) {
      throw new IllegalArgumentException(NO_PROXY_ENV + ": longer than " + MAX_LENGTH * 8 + " characters");
    }
    for (String raw : value.split(",", -1)) {
      String entry = raw.strip().toLowerCase(Locale.ROOT);
      if (entry.isEmpty()) {
        continue;
      }
      if (entries.size() == MAX_NO_PROXY_ENTRIES) {
        throw new IllegalArgumentException(NO_PROXY_ENV + ": more than " + MAX_NO_PROXY_ENTRIES + " entries");
      }
      String name = entry.startsWith(".") ? entry.substring(1) : entry;
      if (name.startsWith("[") && name.endsWith("]")) {
        name = name.substring(1, name.length() - 1);
      }
      if (!entry.equals("*") && !isHostName(name) && !NetUtil.isValidIpV6Address(name)) {
        throw new IllegalArgumentException(NO_PROXY_ENV + ": " + Quoting.quote(raw.strip())
            + " (expected: a host name, a .domain suffix, an IP address or *; no ports, no CIDR ranges)");
      }
      entries.add(entry.equals("*") ? "*" : name);
    }
    return entries;
  }

  /** Letters, digits, hyphens and dots, labels not empty (RFC 1123 §2.1); IPv4 literals pass too. */
  private static boolean isHostName(String s) {
    if (s.isEmpty() || s.length() > 253 || s.startsWith(".") || s.endsWith(".") || s.contains("..")) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** Percent-decodes one part of the user info (RFC 3986 §2.1) as UTF-8; control characters refused. */
  private static String decode(String s, String what) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
        int lo = i + 2 < s.length() ? Character.digit(s.charAt(i + 2), 16) : -1;
        if (hi < 0 || lo < 0) {
          throw bad("bad percent-encoding in the " + what);
        }
        out.write(hi << 4 | lo);
        i += 2;
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
      }
    }
    String decoded;
    try {
      decoded = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(out.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      throw bad("the " + what + " is not UTF-8 once percent-decoded");
    }
    if (decoded.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw bad("a control character in the " + what + " (RFC 7617 §2)");
    }
    return decoded;
  }

  private static String safeScheme(String scheme) {
    return isHostName(scheme) && scheme.length() <= 16 ? scheme : "?";
  }

  private static IllegalArgumentException bad(String why) {
    return new IllegalArgumentException(PROXY_ENV + ": " + why + " " + EXPECTED);
  }

  /**
   * Whether connections to {@code origin} go through this proxy: https origins that are neither
   * loopback nor on the {@value #NO_PROXY_ENV} list.
   */
  boolean carries(Origin origin) {
    return origin.tls() && !isLoopback(origin.host()) && !bypassed(origin.host());
  }

  /** curl's NO_PROXY rules, less CIDR: an entry matches that host and its subdomains; IPs exactly. */
  private boolean bypassed(String host) {
    for (String entry : noProxy) {
      if (entry.equals("*") || host.equals(entry)) {
        return true;
      }
      boolean ip = NetUtil.isValidIpV4Address(entry) || NetUtil.isValidIpV6Address(entry);
      if (!ip && host.endsWith(entry) && host.charAt(host.length() - entry.length() - 1) == '.') {
        return true;
      }
    }
    return false;
  }

  /** Loopback by its literal form, as the config's base_url check (SPEC §2): never a lookup. */
  static boolean isLoopback(String host) {
    if (host.equals("localhost")) {
      return true;
    }
    byte[] address = NetUtil.createByteArrayFromIpAddressString(host);
    try {
      return address != null && InetAddress.getByAddress(address).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** The handler that opens the tunnel through the proxy at {@code proxyAddress} (resolved). */
  HttpProxyHandler newHandler(SocketAddress proxyAddress, long connectTimeoutMs) {
    HttpProxyHandler handler = user.isPresent()
        ? new HttpProxyHandler(proxyAddress, user.get(), password)
        : new HttpProxyHandler(proxyAddress);
    handler.setConnectTimeoutMillis(connectTimeoutMs);
    return handler;
  }

  String host() {
    return host;
  }

  int port() {
    return port;
  }

  /** {@code http://host:port}, with {@code (basic auth)} when it has credentials: never them. */
  @Override
  public String toString() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return "http://" + h + ":" + port + (user.isPresent() ? " (basic auth)" : "");
  }
}
