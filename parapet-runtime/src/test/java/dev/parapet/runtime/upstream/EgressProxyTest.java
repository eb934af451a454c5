package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** PARAPET_UPSTREAM_PROXY and PARAPET_UPSTREAM_NO_PROXY: what they accept, refuse, and route. */
class EgressProxyTest {
  private static EgressProxy proxy(String value, String noProxy) {
    return EgressProxy.parse(value, noProxy).orElseThrow();
  }

  private static boolean carries(EgressProxy p, String url) {
    return p.carries(Origin.of(URI.create(url)));
  }

  @Test
  void unsetOrEmptyIsDirect() {
    assertEquals(Optional.empty(), EgressProxy.parse(null, "x"));
    assertEquals(Optional.empty(), EgressProxy.parse("", null));
  }

  @Test
  void acceptedFormsAndThePortDefault() {
    EgressProxy p = proxy("http://proxy.corp:3128", null);
    assertEquals("proxy.corp", p.host());
    assertEquals(3128, p.port());
    assertEquals("http://proxy.corp:3128", p.toString());
    assertEquals(80, proxy("HTTP://Proxy.Corp/", null).port()); // an http URL's own default port
    assertEquals("proxy.corp", proxy("HTTP://Proxy.Corp/", null).host());
    assertEquals("::1", proxy("http://[::1]:8080", null).host());
    EgressProxy auth = proxy("http://us%65r:p%40ss%3Aword@10.0.0.1:3128", null);
    assertEquals("http://10.0.0.1:3128 (basic auth)", auth.toString());
    assertEquals("p@ss:word", auth.newHandler(new java.net.InetSocketAddress(0), 1).password());
    assertEquals("user", auth.newHandler(new java.net.InetSocketAddress(0), 1).username());
  }

  @Test
  void refusalsNameTheVariableAndNeverThePassword() {
    String[] bad = {
      "https://u:SECRETPW@proxy:443", "socks5://u:SECRETPW@proxy:1080", "u:SECRETPW@proxy:3128",
      "http://u:SECRETPW@proxy:3128/path", "http://u:SECRETPW@proxy:3128?q=1", "http://u:SECRETPW@proxy:3128#f",
      "http://u:SECRETPW@proxy:0", "http://u:SECRETPW@proxy:65536", "http://u:SECRETPW@proxy:31x8",
      "http://u:SECRETPW@:3128", "http://u:SECRETPW%zz@proxy:3128", "http://u:SECRETPW%0d%0a@proxy:3128",
      "http://:SECRETPW@proxy:3128", "http://u:SECRETPW@pro_xy:3128", "http://u:SECRETPW@[zz]:3128",
      "http://u:SECRETPW@[::1:3128", "http://u:SECRETPW@proxy:3128:1", "http://u:SECRET/PW@proxy:3128",
    };
    for (String value : bad) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EgressProxy.parse(value, null), value);
      assertTrue(e.getMessage().startsWith("PARAPET_UPSTREAM_PROXY: "), e.getMessage());
      assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
    }
    assertEquals("PARAPET_UPSTREAM_PROXY: scheme \"https\" is not supported (expected: http://[user:password@]host[:port])",
        assertThrows(IllegalArgumentException.class, () -> EgressProxy.parse("https://proxy:443", null)).getMessage());
  }

  @Test
  void onlyHttpsOriginsThatAreNotLoopbackNorExemptGoThroughTheProxy() {
    EgressProxy p = proxy("http://proxy:3128", " .internal.corp, Api.Anthropic.Com,10.1.2.3,,[fd00::1]");
    assertTrue(carries(p, "https://api.openai.com/v1"));
    assertTrue(carries(p, "https://1.2.3.4/v1"));
    assertFalse(carries(p, "http://api.openai.com/v1"), "plain http");
    for (String loopback : new String[] {"localhost", "127.0.0.1", "127.9.9.9", "[::1]"}) {
      assertFalse(carries(p, "https://" + loopback + ":8443/v1"), loopback);
    }
    assertFalse(carries(p, "https://api.anthropic.com/v1"), "exact name, any case");
    assertFalse(carries(p, "https://eu.api.anthropic.com/v1"), "a subdomain of a listed name");
    assertTrue(carries(p, "https://xapi.anthropic.com/v1"), "not a subdomain: a longer name");
    assertFalse(carries(p, "https://llm.internal.corp/v1"), ".suffix");
    assertFalse(carries(p, "https://internal.corp/v1"), ".suffix matches the domain itself");
    assertFalse(carries(p, "https://10.1.2.3/v1"), "an IP exactly");
    assertTrue(carries(p, "https://110.1.2.3/v1"), "an IP never by suffix");
    assertFalse(carries(p, "https://[fd00::1]/v1"));
    assertFalse(carries(proxy("http://proxy:3128", "*"), "https://api.openai.com/v1"));
  }

  @Test
  void badNoProxyEntriesAreRefused() {
    for (String bad : new String[] {"10.0.0.0/8", "api.openai.com:443", "a b", "*.corp"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> EgressProxy.parse("http://proxy:3128", bad), bad);
      assertTrue(e.getMessage().startsWith("PARAPET_UPSTREAM_NO_PROXY: \"" + bad + "\""), e.getMessage());
    }
  }
}
