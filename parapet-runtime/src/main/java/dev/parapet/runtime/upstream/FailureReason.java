package dev.parapet.runtime.upstream;

import static dev.parapet.runtime.upstream.UpstreamFailure.CONNECT;
import static dev.parapet.runtime.upstream.UpstreamFailure.OVERLOADED;
import static dev.parapet.runtime.upstream.UpstreamFailure.PROTOCOL;
import static dev.parapet.runtime.upstream.UpstreamFailure.PROVIDER_ERROR;
import static dev.parapet.runtime.upstream.UpstreamFailure.SERVER_ERROR;
import static dev.parapet.runtime.upstream.UpstreamFailure.TIMEOUT;
import static dev.parapet.runtime.upstream.UpstreamFailure.TLS_CERTIFICATE;
import static dev.parapet.runtime.upstream.UpstreamFailure.TOO_LARGE;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.proxy.ProxyConnectException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXReason;
import java.util.Objects;
import java.util.OptionalInt;
import javax.net.ssl.SSLException;

/**
 * Why a provider call failed, for the operator's log line ({@code reason=…}, docs/telemetry.md
 * "Why a provider call failed"): one word of a fixed vocabulary, and for a refusal the status
 * number the provider or the egress proxy answered ({@code proxy_refused status=407}), as nginx's
 * "connect() failed (111: Connection refused)" or Envoy's response flags tell it.
 *
 * <p>The one source of how a failure is classified: each word has its {@link #kind}, the {@link
 * UpstreamFailure} the caller is answered with (status, code, fixed message) and the settlement
 * goes by. A failure site names the reason only, so its word and its kind cannot disagree.
 *
 * <p>Derived from exception types and numbers only, never from an exception's text: a decoder's
 * or a proxy's message can quote bytes the other side sent (a garbage head echoing our provider
 * key, a 407 reason phrase echoing the proxy's credentials). The one text read is the status
 * Netty's {@link HttpProxyHandler} writes after our own prefix, and of it only three digits. The
 * caller's answer and the telemetry row never carry a reason: they stay the fixed {@link
 * UpstreamFailure} message; the {@code upstream_error} event's details carry the word and the
 * number ({@code reason}, {@code reason_status}), as the log line does.
 */
public final class FailureReason {
  // Reaching the provider (or, through an egress proxy, the proxy).
  static final FailureReason DNS_NOT_FOUND = new FailureReason("dns_not_found", CONNECT);
  static final FailureReason CONNECTION_REFUSED = new FailureReason("connection_refused", CONNECT);
  static final FailureReason HOST_UNREACHABLE = new FailureReason("host_unreachable", CONNECT);
  static final FailureReason CONNECT_TIMEOUT = new FailureReason("connect_timeout", CONNECT);
  static final FailureReason CONNECT_FAILED = new FailureReason("connect_failed", CONNECT);
  static final FailureReason PROXY_DNS_NOT_FOUND = new FailureReason("proxy_dns_not_found", CONNECT);
  static final FailureReason PROXY_CONNECTION_REFUSED = new FailureReason("proxy_connection_refused", CONNECT);
  static final FailureReason PROXY_HOST_UNREACHABLE = new FailureReason("proxy_host_unreachable", CONNECT);
  static final FailureReason PROXY_CONNECT_TIMEOUT = new FailureReason("proxy_connect_timeout", CONNECT);
  static final FailureReason PROXY_CONNECT_FAILED = new FailureReason("proxy_connect_failed", CONNECT);
  // The proxy's answer to CONNECT.
  static final FailureReason PROXY_TIMEOUT = new FailureReason("proxy_timeout", CONNECT);
  static final FailureReason PROXY_RESET = new FailureReason("proxy_reset", CONNECT);
  static final FailureReason PROXY_MALFORMED = new FailureReason("proxy_malformed", CONNECT);
  // TLS with the provider.
  static final FailureReason TLS_CERTIFICATE_EXPIRED = new FailureReason("tls_certificate_expired", TLS_CERTIFICATE);
  static final FailureReason TLS_CERTIFICATE_NOT_YET_VALID = new FailureReason("tls_certificate_not_yet_valid", TLS_CERTIFICATE);
  static final FailureReason TLS_CERTIFICATE_REVOKED = new FailureReason("tls_certificate_revoked", TLS_CERTIFICATE);
  static final FailureReason TLS_CERTIFICATE_INVALID = new FailureReason("tls_certificate_invalid", TLS_CERTIFICATE);
  static final FailureReason TLS_NAME_MISMATCH = new FailureReason("tls_name_mismatch", TLS_CERTIFICATE);
  static final FailureReason TLS_UNTRUSTED = new FailureReason("tls_untrusted", TLS_CERTIFICATE);
  static final FailureReason TLS_HANDSHAKE_TIMEOUT = new FailureReason("tls_handshake_timeout", UpstreamFailure.TLS_HANDSHAKE_TIMEOUT);
  static final FailureReason TLS_NOT_TLS = new FailureReason("tls_not_tls", UpstreamFailure.NOT_TLS);
  static final FailureReason TLS_HANDSHAKE = new FailureReason("tls_handshake", UpstreamFailure.TLS_HANDSHAKE);
  /** After the handshake completed: a record that does not decrypt, no TLS record, an alert. */
  static final FailureReason TLS_ERROR = new FailureReason("tls_error", UpstreamFailure.TLS_ERROR);
  // The exchange on an open connection.
  static final FailureReason RESET = new FailureReason("reset", UpstreamFailure.RESET);
  static final FailureReason CLOSED = new FailureReason("closed", UpstreamFailure.RESET);
  static final FailureReason MALFORMED_HEAD = new FailureReason("malformed_head", PROTOCOL);
  static final FailureReason HEAD_TOO_LARGE = new FailureReason("head_too_large", PROTOCOL);
  static final FailureReason MALFORMED_FRAMING = new FailureReason("malformed_framing", PROTOCOL);
  static final FailureReason UNASKED_UPGRADE = new FailureReason("unasked_upgrade", PROTOCOL);
  static final FailureReason NOT_HTTP = new FailureReason("not_http", PROTOCOL);
  static final FailureReason HEAD_TIMEOUT = new FailureReason("head_timeout", TIMEOUT);
  static final FailureReason IDLE_TIMEOUT = new FailureReason("idle_timeout", TIMEOUT);
  static final FailureReason TOTAL_TIMEOUT = new FailureReason("total_timeout", TIMEOUT);
  static final FailureReason REQUEST_NOT_ENCODED = new FailureReason("request_not_encoded", PROTOCOL);
  // Our own limits.
  static final FailureReason POOL_EXHAUSTED = new FailureReason("pool_exhausted", OVERLOADED);
  static final FailureReason DNS_BUSY = new FailureReason("dns_busy", OVERLOADED);
  // What the answer said.
  static final FailureReason ANSWER_TOO_LARGE = new FailureReason("answer_too_large", TOO_LARGE);
  static final FailureReason UNACCEPTED_CODING = new FailureReason("unaccepted_coding", PROTOCOL);
  static final FailureReason MALFORMED_CODING = new FailureReason("malformed_coding", PROTOCOL);
  static final FailureReason NOT_EVENT_STREAM = new FailureReason("not_event_stream", PROTOCOL);
  static final FailureReason MALFORMED_ANSWER = new FailureReason("malformed_answer", PROTOCOL);
  static final FailureReason MALFORMED_EVENT = new FailureReason("malformed_event", PROTOCOL);
  static final FailureReason STREAM_INCOMPLETE = new FailureReason("stream_incomplete", UpstreamFailure.RESET);
  static final FailureReason PROVIDER_ERROR_EVENT = new FailureReason("provider_error_event", PROVIDER_ERROR);

  /** How deep a cause chain is searched: a chain is short; a cycle or a freak must not loop. */
  private static final int MAX_DEPTH = 16;
  /** Netty's HttpProxyHandler message: {@code "<our prefix>, status: 407 <their reason phrase>"}. */
  private static final String PROXY_STATUS = ", status: ";

  private final String word;
  private final UpstreamFailure kind;
  private final int status; // 0: none

  private FailureReason(String word, UpstreamFailure kind) {
    this(word, kind, 0);
  }

  private FailureReason(String word, UpstreamFailure kind, int status) {
    this.word = word;
    this.kind = Objects.requireNonNull(kind, word);
    this.status = status;
  }

  /** The provider answered a 5xx. */
  static FailureReason serverError(int status) {
    return new FailureReason("server_error", SERVER_ERROR, status);
  }

  /** The provider answered a status we do not take (a redirect, a 1xx-less oddity). */
  static FailureReason unexpectedStatus(int status) {
    return new FailureReason("unexpected_status", PROTOCOL, status);
  }

  /** The egress proxy answered our CONNECT with {@code status} (not 200). */
  static FailureReason proxyRefused(int status) {
    return new FailureReason("proxy_refused", CONNECT, status);
  }

  /**
   * Why a connection or an exchange failed with {@code cause}; its {@link #kind} is what the caller
   * is answered. Before the connection that is only ever {@link UpstreamFailure#CONNECT}, a TLS
   * kind ({@link UpstreamFailure#TLS_CERTIFICATE} and the three after it) or {@link
   * UpstreamFailure#OVERLOADED}: nothing reached the provider.
   *
   * @param connected whether the exchange had its connection (direct: TCP connected; through a
   *     proxy: the tunnel open) when it failed
   * @param proxied whether the connection goes through the egress proxy
   * @param secured whether the TLS handshake with the provider had completed on that connection:
   *     a TLS failure after it is none of the handshake's words ({@link #TLS_ERROR})
   */
  static FailureReason of(Throwable cause, boolean connected, boolean proxied, boolean secured) {
    FailureReason tls = tls(cause);
    if (tls != null) {
      return secured ? TLS_ERROR : tls;
    }
    Throwable c = cause;
    for (int depth = 0; c != null && depth < MAX_DEPTH; depth++, c = c.getCause()) {
      if (c instanceof OriginPool.PoolExhaustedException) {
        return POOL_EXHAUSTED;
      }
      if (c instanceof OffLoopResolver.LookupsBusyException) {
        return DNS_BUSY;
      }
      if (c instanceof OriginPool.TunnelTimeoutException) {
        return PROXY_TIMEOUT;
      }
      if (c instanceof ProxyConnectException p) {
        return proxy(p);
      }
      if (connected && c instanceof TooLongFrameException) {
        // Only an answer can be too large: before the connection there is none (a proxy's answer to
        // CONNECT fails as a ProxyConnectException, above), and what never reached the provider must
        // not take HEAD_TOO_LARGE's kind, which settles as an answer the provider may have billed.
        return HEAD_TOO_LARGE;
      }
      if (!connected) {
        if (c instanceof UnknownHostException) {
          return proxied ? PROXY_DNS_NOT_FOUND : DNS_NOT_FOUND;
        }
        if (c instanceof NoRouteToHostException) {
          return proxied ? PROXY_HOST_UNREACHABLE : HOST_UNREACHABLE;
        }
        if (c instanceof ConnectTimeoutException) {
          return proxied ? PROXY_CONNECT_TIMEOUT : CONNECT_TIMEOUT;
        }
        if (c instanceof ConnectException) {
          return proxied ? PROXY_CONNECTION_REFUSED : CONNECTION_REFUSED;
        }
      }
    }
    if (!connected) {
      return proxied ? PROXY_CONNECT_FAILED : CONNECT_FAILED;
    }
    if (cause instanceof DecoderException) {
      return MALFORMED_HEAD;
    }
    return cause instanceof IOException ? RESET : MALFORMED_HEAD;
  }

  /** The TLS reason when {@code cause} is a TLS failure, from its chain's types; else null. */
  private static FailureReason tls(Throwable cause) {
    FailureReason found = null;
    boolean ssl = false;
    Throwable c = cause;
    for (int depth = 0; c != null && depth < MAX_DEPTH; depth++, c = c.getCause()) {
      if (c instanceof SslHandshakeTimeoutException) {
        return TLS_HANDSHAKE_TIMEOUT;
      }
      if (c instanceof NotSslRecordException) {
        return TLS_NOT_TLS;
      }
      ssl |= c instanceof SSLException;
      FailureReason r = certificate(c);
      if (r != null && (found == null || found == TLS_CERTIFICATE_INVALID || found == TLS_UNTRUSTED)) {
        found = r; // the deepest precise cause wins over a general one above it
      }
    }
    if (found != null) {
      return found;
    }
    return ssl ? TLS_HANDSHAKE : null;
  }

  private static FailureReason certificate(Throwable c) {
    if (c instanceof CertificateExpiredException) {
      return TLS_CERTIFICATE_EXPIRED;
    }
    if (c instanceof CertificateNotYetValidException) {
      return TLS_CERTIFICATE_NOT_YET_VALID;
    }
    if (c instanceof CertPathValidatorException v) {
      if (v.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
        return TLS_CERTIFICATE_EXPIRED;
      }
      if (v.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
        return TLS_CERTIFICATE_NOT_YET_VALID;
      }
      if (v.getReason() == CertPathValidatorException.BasicReason.REVOKED) {
        return TLS_CERTIFICATE_REVOKED;
      }
      if (v.getReason() == PKIXReason.NO_TRUST_ANCHOR) {
        return TLS_UNTRUSTED;
      }
      return TLS_CERTIFICATE_INVALID;
    }
    if (c instanceof CertPathBuilderException) {
      return TLS_UNTRUSTED; // no path from the certificate to a trusted CA
    }
    if (c.getClass() == CertificateException.class && c.getCause() == null) {
      // The JDK's trust manager throws a plain CertificateException, nothing below it, for one
      // check only: the certificate's names against the host we asked for (RFC 6125); a chain
      // that does not validate comes as a subclass (sun.security.validator.ValidatorException).
      return TLS_NAME_MISMATCH;
    }
    if (c instanceof CertificateException) {
      return TLS_CERTIFICATE_INVALID;
    }
    return null;
  }

  /**
   * The proxy's part: Netty's HttpProxyHandler fails the tunnel with an {@link
   * HttpProxyHandler.HttpProxyConnectException} naming the status it got, a plain {@link
   * ProxyConnectException} for its own timeout or an early close, or one wrapping the I/O error.
   */
  private static FailureReason proxy(ProxyConnectException e) {
    if (e instanceof HttpProxyHandler.HttpProxyConnectException) {
      int status = proxyStatus(e.getMessage());
      return status < 0 ? PROXY_MALFORMED : proxyRefused(status);
    }
    Throwable below = e.getCause();
    if (below instanceof DecoderException) {
      return PROXY_MALFORMED;
    }
    if (below instanceof IOException) {
      return PROXY_RESET;
    }
    String message = e.getMessage();
    if (message != null && message.endsWith(", timeout")) {
      return PROXY_TIMEOUT; // the handler's own deadline (ours, the same length, usually comes first)
    }
    return message != null && message.endsWith(", disconnected") ? PROXY_RESET : PROXY_MALFORMED;
  }

  /**
   * The status number in an HttpProxyHandler message, or -1: the three digits right after the
   * first {@code ", status: "}, which comes before anything the proxy sent (the text before it is
   * ours: protocol, auth scheme, proxy address, origin host and port). A status outside 100..599,
   * such as Netty's 999 for a head it could not parse, is no answer.
   */
  static int proxyStatus(String message) {
    if (message == null) {
      return -1;
    }
    int at = message.indexOf(PROXY_STATUS);
    int from = at + PROXY_STATUS.length();
    if (at < 0 || message.length() < from + 3) {
      return -1;
    }
    int status = 0;
    for (int i = from; i < from + 3; i++) {
      char d = message.charAt(i);
      if (d < '0' || d > '9') {
        return -1;
      }
      status = status * 10 + (d - '0');
    }
    if (message.length() > from + 3 && message.charAt(from + 3) != ' ') {
      return -1; // four digits or more: not a status
    }
    return status >= 100 && status <= 599 ? status : -1;
  }

  /**
   * What the failure is for the caller and the settlement: its status, code and fixed message, and
   * whether it is settled as an answer the provider may have billed ({@link UpstreamFailure#PROTOCOL}
   * before a head). Each word has exactly one, so a call site names the reason only and the two
   * cannot disagree.
   */
  UpstreamFailure kind() {
    return kind;
  }

  /** The word of the fixed vocabulary ({@code server_error}, {@code proxy_refused}, …). */
  public String word() {
    return word;
  }

  /** The status number the provider or the proxy answered, for the words that have one. */
  public OptionalInt status() {
    return status == 0 ? OptionalInt.empty() : OptionalInt.of(status);
  }

  /** The log form: the word, then {@code status=N} when it has one. */
  @Override
  public String toString() {
    return status == 0 ? word : word + " status=" + status;
  }
}
