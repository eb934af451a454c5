package dev.parapet.runtime.upstream;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * TLS towards providers: the JDK's default trust anchors, plus, when the deployment sets {@code
 * PARAPET_UPSTREAM_CA_FILE}, the CA certificates of that PEM file (internal CAs, tests). Every
 * engine verifies the host name (RFC 9110 §4.3.4, RFC 6125) and sends SNI (RFC 6066 §3).
 */
final class UpstreamTls {
  static final String CA_FILE_ENV = "PARAPET_UPSTREAM_CA_FILE";

  private UpstreamTls() {}

  static SslContext withExtraCa(Optional<Path> caFile) {
    return lazy(caFile).get();
  }

  /**
   * The client context for {@code caFile}, built on first {@link Lazy#get} (building it loads the
   * JDK trust store and JSSE: a noticeable share of boot, and a deployment with only http origins
   * never needs it). The CA file is read and parsed now, so a missing, unreadable or certificate-
   * less file still refuses to boot.
   *
   * @throws IllegalStateException naming {@value #CA_FILE_ENV} and the file when it is unusable
   */
  static Lazy lazy(Optional<Path> caFile) {
    List<X509Certificate> extra = caFile.isPresent() ? readCaFile(caFile.get()) : List.of();
    return new Lazy(caFile, extra);
  }

  /** The context, built once by whichever thread asks first; thread-safe. */
  static final class Lazy {
    private final Optional<Path> caFile;
    private final List<X509Certificate> extra;
    private volatile SslContext context;

    private Lazy(Optional<Path> caFile, List<X509Certificate> extra) {
      this.caFile = caFile;
      this.extra = extra;
    }

    SslContext get() {
      SslContext c = context;
      if (c == null) {
        synchronized (this) {
          c = context;
          if (c == null) {
            c = build(caFile, extra);
            context = c;
          }
        }
      }
      return c;
    }
  }

  private static SslContext build(Optional<Path> caFile, List<X509Certificate> extra) {
    try {
      SslContextBuilder builder = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS");
      if (!extra.isEmpty()) {
        builder.trustManager(trustDefaultsAnd(extra));
      }
      return builder.build();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(CA_FILE_ENV + ": cannot use " + caFile.orElse(null) + " (" + e.getMessage() + ")", e);
    }
  }

  private static List<X509Certificate> readCaFile(Path pem) {
    try {
      List<X509Certificate> certs = new ArrayList<>();
      try (InputStream in = Files.newInputStream(pem)) {
        for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          certs.add((X509Certificate) c);
        }
      }
      if (certs.isEmpty()) {
        throw new GeneralSecurityException("no certificate in the file");
      }
      return List.copyOf(certs);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(CA_FILE_ENV + ": cannot use " + pem + " (" + e.getMessage() + ")", e);
    }
  }

  private static TrustManagerFactory trustDefaultsAnd(List<X509Certificate> extra) throws IOException, GeneralSecurityException {
    KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
    anchors.load(null, null);
    TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    jdk.init((KeyStore) null);
    int n = 0;
    for (TrustManager tm : jdk.getTrustManagers()) {
      if (tm instanceof X509TrustManager x509) {
        for (X509Certificate ca : x509.getAcceptedIssuers()) {
          anchors.setCertificateEntry("jdk-" + n++, ca);
        }
      }
    }
    for (Certificate ca : extra) {
      anchors.setCertificateEntry("extra-" + n++, ca);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(anchors);
    return tmf;
  }

  /** A handler for one connection to {@code origin}: SNI and host name verification on. */
  static SslHandler newHandler(SslContext context, ByteBufAllocator alloc, Origin origin, long handshakeTimeoutMs) {
    SSLEngine engine = context.newEngine(alloc, origin.host(), origin.port());
    SSLParameters params = engine.getSSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS");
    if (!origin.ipLiteral()) {
      params.setServerNames(List.of(new SNIHostName(origin.host())));
    }
    engine.setSSLParameters(params);
    SslHandler handler = new SslHandler(engine);
    handler.setHandshakeTimeoutMillis(handshakeTimeoutMs);
    return handler;
  }
}
