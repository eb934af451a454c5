package dev.parapet.runtime.upstream;

import java.nio.file.Path;
import javax.net.ssl.SSLServerSocketFactory;

/** The test CA and its server certificates (src/test/resources/upstream-tls), for tests outside this package. */
public final class TestTls {
  private TestTls() {}

  /** The PEM file of the CA that signed every test certificate: PARAPET_UPSTREAM_CA_FILE's value. */
  public static Path caFile() throws Exception {
    return UpstreamTlsTest.fixture("ca.pem");
  }

  /** A TLS server socket factory presenting {@code name}'s certificate: "localhost" or "other" (other.example). */
  public static SSLServerSocketFactory server(String name) throws Exception {
    return UpstreamTlsTest.serverTls(name);
  }
}
