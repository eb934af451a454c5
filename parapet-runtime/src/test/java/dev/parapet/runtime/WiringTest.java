package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.runtime.boot.BootException;
import dev.parapet.runtime.testing.TestConfigs;
import dev.parapet.runtime.upstream.UpstreamClient;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WiringTest {
  @Test
  void upstreamPoolSizeDefaultsAndCanBeRaised() throws Exception {
    assertEquals(UpstreamClient.DEFAULT_MAX_PER_ORIGIN, Wiring.maxPerOrigin(Map.of()));
    assertEquals(5256, Wiring.maxPerOrigin(Map.of(Wiring.UPSTREAM_MAX_PER_ORIGIN, "5256")));
  }

  @Test
  void aBadUpstreamPoolSizeIsABootErrorNamingTheVariable() {
    for (String bad : new String[] {"0", "-1", "64k", " 64", "", "1234567", "064", "+64", "0000064"}) {
      BootException e = assertThrows(BootException.class,
          () -> Wiring.maxPerOrigin(Map.of(Wiring.UPSTREAM_MAX_PER_ORIGIN, bad)), bad);
      assertEquals("PARAPET_UPSTREAM_MAX_PER_ORIGIN: \"" + bad + "\" (expected: an integer 1..999999)",
          e.getMessage());
    }
  }

  @Test
  void upstreamIdleTimeDefaultsAndCanBeSet() throws Exception {
    assertEquals(UpstreamClient.DEFAULT_IDLE_TIMEOUT, Wiring.upstreamIdle(Map.of()));
    assertEquals(Duration.ofMillis(4000), Wiring.upstreamIdle(Map.of(Wiring.UPSTREAM_IDLE_MS, "4000")));
    assertEquals(Duration.ofMillis(100), Wiring.upstreamIdle(Map.of(Wiring.UPSTREAM_IDLE_MS, "100")));
    assertEquals(Duration.ofMinutes(10), Wiring.upstreamIdle(Map.of(Wiring.UPSTREAM_IDLE_MS, "600000")));
  }

  @Test
  void aBadUpstreamIdleTimeIsABootErrorNamingTheVariableAndTheRange() {
    for (String bad : new String[] {"0", "99", "600001", "-1", "4s", " 4000", "", "1e3", "99999999999999999999", "04000"}) {
      BootException e = assertThrows(BootException.class,
          () -> Wiring.upstreamIdle(Map.of(Wiring.UPSTREAM_IDLE_MS, bad)), bad);
      assertEquals("PARAPET_UPSTREAM_IDLE_MS: \"" + bad + "\" (expected: an integer 100..600000)", e.getMessage());
    }
  }

  @Test
  void aBadEgressProxyIsABootErrorNamingTheVariableNeverThePassword() throws Exception {
    assertEquals(Optional.empty(), Wiring.egressProxy(Map.of()));
    assertEquals("http://proxy.corp:3128 (basic auth)",
        Wiring.egressProxy(Map.of("PARAPET_UPSTREAM_PROXY", "http://ops:pw@proxy.corp:3128")).orElseThrow().toString());
    BootException e = assertThrows(BootException.class,
        () -> Wiring.egressProxy(Map.of("PARAPET_UPSTREAM_PROXY", "https://ops:S3CRET-PW@proxy.corp:3128")));
    assertEquals("PARAPET_UPSTREAM_PROXY: scheme \"https\" is not supported"
        + " (expected: http://[user:password@]host[:port])", e.getMessage());
    e = assertThrows(BootException.class, () -> Wiring.egressProxy(
        Map.of("PARAPET_UPSTREAM_PROXY", "http://proxy.corp:3128", "PARAPET_UPSTREAM_NO_PROXY", "10.0.0.0/8")));
    assertTrue(e.getMessage().startsWith("PARAPET_UPSTREAM_NO_PROXY: \"10.0.0.0/8\""), e.getMessage());
  }

  @Test
  void theTlsContextIsWarmedOnlyWhenARouteCallsAnHttpsOrigin() {
    HydratedConfig echoOnly = TestConfigs.config();
    assertFalse(Wiring.needsTls(echoOnly));
    assertTrue(Wiring.needsTls(withRoute(echoOnly, Optional.empty()))); // the provider's default
    assertTrue(Wiring.needsTls(withRoute(echoOnly, Optional.of(URI.create("https://llm.internal/v1")))));
    assertFalse(Wiring.needsTls(withRoute(echoOnly, Optional.of(URI.create("http://127.0.0.1:9/v1")))));
  }

  private static HydratedConfig withRoute(HydratedConfig c, Optional<URI> baseUrl) {
    Route echo = c.spec().routes().get(0);
    Route openai = new Route("openai", echo.tenant(), new ProviderSpec(ProviderType.OPENAI, "gpt-4o",
        Optional.of("KEY"), baseUrl, List.of(), Optional.empty(), 60_000), echo.policy());
    List<Route> routes = new ArrayList<>(c.spec().routes());
    routes.add(openai);
    ParapetSpec s = c.spec();
    return new HydratedConfig(new ParapetSpec(s.version(), s.tenants(), routes, s.services(), s.users()),
        c.providerKeys(), c.serviceTokenDigests(), c.passwordHashes());
  }
}
