package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parapet.runtime.RequestCompleted;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
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
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * https providers: trusted through PARAPET_UPSTREAM_CA_FILE's CA, and host names verified. A
 * handshake that fails tells the caller what happened in our words, always 502 {@code
 * upstream_error}: the certificate sentence for a certificate verdict only.
 */
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
    return serverContext(name).getServerSocketFactory();
  }

  /** A server's TLS presenting {@code name}'s certificate: "localhost", "other" or "expired". */
  static SSLContext serverContext(String name) throws Exception {
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
    return ctx;
  }

  void startGateway(boolean trustTestCa) throws Exception {
    Optional<Path> ca = trustTestCa ? Optional.of(fixture("ca.pem")) : Optional.empty();
    gateway = new TestGateway(UpstreamClient.withExtraCa(ca, 8, Duration.ofSeconds(30)),
        TestProviders.create(), r -> ExchangeObserver.NONE);
  }

  HttpResponse<String> call(FakeProvider provider, String host) throws Exception {
    return call(provider.port(), host, 5_000);
  }

  HttpResponse<String> call(int port, String host, int timeoutMs) throws Exception {
    gateway.addRoute("r", URI.create("https://" + host + ":" + port + "/v1"), timeoutMs);
    return http.send(HttpRequest.newBuilder(gateway.uri("r")).timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString(UpstreamProxyHandlerTest.ASK)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The caller got 502 {@code upstream_error} with {@code message}, and the call's completion (whence
   * its telemetry row and its {@code upstream_error} event, {@code details.reason}) names {@code word}.
   */
  private void assertTlsFailure(HttpResponse<String> res, String message, String word) throws Exception {
    UpstreamProxyHandlerTest.assertRefusal(res, 502, "upstream_error");
    assertEquals(message, TestProviders.JSON.readTree(res.body()).at("/error/message").asText());
    RequestCompleted done = gateway.nextCompleted();
    assertEquals(502, done.status());
    assertEquals(Optional.of(word), done.upstreamReason().map(FailureReason::word));
  }

  /** Starts a thread answering each connection on {@code server}; it ends when the socket closes. */
  private static void serve(ServerSocket server, String name, Consumer<ServerSocket> loop) {
    Thread t = new Thread(() -> loop.accept(server), name);
    t.setDaemon(true);
    t.start();
  }

  /**
   * A TLS server that takes nothing we offer: reads the ClientHello, answers a fatal
   * handshake_failure alert (RFC 8446 §6: content type 21, legacy version 3.3, length 2, level 2,
   * description 40), as one with no protocol or cipher in common with us would.
   */
  private static void refuseEachHandshake(ServerSocket server) {
    while (!server.isClosed()) {
      try (Socket s = server.accept()) {
        InputStream in = s.getInputStream();
        in.read(new byte[4096]);
        s.getOutputStream().write(new byte[] {21, 3, 3, 0, 2, 2, 40});
        s.getOutputStream().flush();
        in.read(new byte[4096]); // until the client gives up
      } catch (IOException e) {
        // closed: the test is over, or the client hung up
      }
    }
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
      assertTlsFailure(call(provider, "localhost"), "the provider's TLS certificate was not accepted",
          "tls_name_mismatch");
      assertEquals(0, provider.received.size());
    }
  }

  @Test
  void aCertificateFromAnUnknownCaIs502() throws Exception {
    startGateway(false);
    try (FakeProvider provider = new FakeProvider(serverTls("localhost"),
        (req, c) -> c.full(200, "application/json", UpstreamProxyHandlerTest.OPENAI_ANSWER))) {
      assertTlsFailure(call(provider, "localhost"), "the provider's TLS certificate was not accepted", "tls_untrusted");
      assertEquals(0, provider.received.size());
    }
  }

  /** An https base_url on a plain-http port: the server answers our ClientHello in HTTP. */
  @Test
  void aPlainHttpServerIsToldAsNotAnsweringInTls() throws Exception {
    startGateway(true);
    try (ServerSocket plain = new ServerSocket(0)) {
      serve(plain, "plain-http-server", FailureReasonTest::answerInPlainHttp);
      assertTlsFailure(call(plain.getLocalPort(), "localhost", 5_000), "the provider did not answer in TLS",
          "tls_not_tls");
    }
  }

  /**
   * A server that takes the connection and never answers the ClientHello (the kernel accepts it; no
   * one reads it). The handshake gives up at the connect timeout, min(timeout_ms, 10 s): with
   * timeout_ms above 10 s that comes before the exchange's own deadline, so this call takes 10 s.
   */
  @Test
  void aHandshakeTheProviderNeverAnswersIsToldAsNotCompletedInTime() throws Exception {
    startGateway(true);
    try (ServerSocket silent = new ServerSocket(0)) {
      assertTlsFailure(call(silent.getLocalPort(), "localhost", 30_000),
          "the provider did not complete the TLS handshake in time", "tls_handshake_timeout");
    }
  }

  @Test
  void aHandshakeTheProviderRefusesIsToldAsAFailedHandshake() throws Exception {
    startGateway(true);
    try (ServerSocket refusing = new ServerSocket(0)) {
      serve(refusing, "refusing-tls-server", UpstreamTlsTest::refuseEachHandshake);
      assertTlsFailure(call(refusing.getLocalPort(), "localhost", 5_000), "the TLS handshake with the provider failed",
          "tls_handshake");
    }
  }
}
