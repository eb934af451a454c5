package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** https providers: trusted through PARAPET_UPSTREAM_CA_FILE's CA, and host names verified. */
class UpstreamTlsTest {
  private TestGateway gateway;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @AfterEach
  void stop() throws InterruptedException {
    if (gateway != null) {
      gateway.close();
    }
    LeakWatch.assertNoLeaks();
  }

  static Path fixture(String name) throws URISyntaxException {
    return Path.of(UpstreamTlsTest.class.getResource("/upstream-tls/" + name).toURI());
  }

  static SSLServerSocketFactory serverTls(String name) throws Exception {
    String pem = Files.readString(fixture(name + ".key"));
    byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
    PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    Certificate cert;
    try (var in = Files.newInputStream(fixture(name + ".pem"))) {
      cert = CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("server", key, new char[0], new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx.getServerSocketFactory();
  }

  void startGateway(boolean trustTestCa) throws Exception {
    Optional<Path> ca = trustTestCa ? Optional.of(fixture("ca.pem")) : Optional.empty();
    gateway = new TestGateway(UpstreamClient.withExtraCa(ca, 8, Duration.ofSeconds(30)),
        TestProviders.create(), r -> ExchangeObserver.NONE);
  }

  HttpResponse<String> call(FakeProvider provider, String host) throws Exception {
    gateway.addRoute("r", URI.create("https://" + host + ":" + provider.port() + "/v1"), 5_000);
    return http.send(HttpRequest.newBuilder(gateway.uri("r")).timeout(Duration.ofSeconds(20))
        .POST(HttpRequest.BodyPublishers.ofString(UpstreamProxyHandlerTest.ASK)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aProviderWithACertificateForItsNameFromTheExtraCaIsTrusted() throws Exception {
    startGateway(true);
    try (FakeProvider provider = new FakeProvider(serverTls("localhost"),
        (req, c) -> c.full(200, "application/json", UpstreamProxyHandlerTest.OPENAI_ANSWER))) {
      HttpResponse<String> res = call(provider, "localhost");
      assertEquals(200, res.statusCode(), res.body());
      assertEquals("localhost:" + provider.port(), provider.received.poll().headers().get("host"));
    }
  }

  @Test
  void aCertificateForAnotherNameIs502() throws Exception {
    startGateway(true);
    try (FakeProvider provider = new FakeProvider(serverTls("other"),
        (req, c) -> c.full(200, "application/json", UpstreamProxyHandlerTest.OPENAI_ANSWER))) {
      UpstreamProxyHandlerTest.assertRefusal(call(provider, "localhost"), 502, "upstream_error");
      assertEquals(0, provider.received.size());
    }
  }

  @Test
  void aCertificateFromAnUnknownCaIs502() throws Exception {
    startGateway(false);
    try (FakeProvider provider = new FakeProvider(serverTls("localhost"),
        (req, c) -> c.full(200, "application/json", UpstreamProxyHandlerTest.OPENAI_ANSWER))) {
      UpstreamProxyHandlerTest.assertRefusal(call(provider, "localhost"), 502, "upstream_error");
      assertEquals(0, provider.received.size());
    }
  }
}
