package dev.parapet.runtime.upstream;

import dev.parapet.runtime.http.ParapetError;

/**
 * Why a call to a provider failed, in our words. The caller gets {@link #error()} and {@link
 * #message()}; never the provider's bytes nor an exception text (which could carry a key a
 * provider echoed back).
 */
enum UpstreamFailure {
  CONNECT(ParapetError.UPSTREAM_ERROR, "the provider could not be reached"),
  TLS_CERTIFICATE(ParapetError.UPSTREAM_ERROR, "the provider's TLS certificate was not accepted"),
  /**
   * The provider took the connection and did not finish the TLS handshake within the connect
   * timeout, min({@code timeout_ms}, 10 s): nothing was sent, as for {@link #CONNECT}.
   */
  TLS_HANDSHAKE_TIMEOUT(ParapetError.UPSTREAM_ERROR, "the provider did not complete the TLS handshake in time"),
  /** The provider answered in something that is not TLS: an https base_url on a plain-http port. */
  NOT_TLS(ParapetError.UPSTREAM_ERROR, "the provider did not answer in TLS"),
  /** Any other failure of the handshake: no protocol or cipher in common, an alert from the provider. */
  TLS_HANDSHAKE(ParapetError.UPSTREAM_ERROR, "the TLS handshake with the provider failed"),
  /**
   * The handshake had completed, then TLS on the connection failed: a record that does not
   * decrypt or is no TLS record, an alert from the provider. The request may have reached the
   * provider, as for {@link #RESET}, and it is settled as a reset at the same point is.
   */
  TLS_ERROR(ParapetError.UPSTREAM_ERROR, "the TLS connection with the provider failed before the answer was complete"),
  RESET(ParapetError.UPSTREAM_ERROR, "the provider closed the connection before the answer was complete"),
  PROTOCOL(ParapetError.UPSTREAM_ERROR, "the provider sent a malformed answer"),
  SERVER_ERROR(ParapetError.UPSTREAM_ERROR, "the provider answered with a server error"),
  TOO_LARGE(ParapetError.UPSTREAM_ERROR, "the provider's answer exceeded the size limit"),
  TIMEOUT(ParapetError.UPSTREAM_TIMEOUT, "the provider did not answer within timeout_ms"),
  /**
   * The provider answered 2xx, then ended its answer with an error event of its own: the caller's
   * message goes on with the error's type ({@link ProxiedCall#providerErrorMessage}).
   */
  PROVIDER_ERROR(ParapetError.UPSTREAM_ERROR, "the provider ended its answer with an error"),
  /**
   * Every connection to this provider on this event loop is busy and the waiting line is full, or
   * the line of host name lookups is ({@link OffLoopResolver#MAX_WAITING}). We
   * answer 503 (RFC 9110 §15.6.4) rather than 502: the provider is fine, we are at our own limit,
   * and a client should retry later.
   */
  OVERLOADED(ParapetError.SERVICE_UNAVAILABLE, "too many calls to this provider in flight; retry later");

  private final ParapetError error;
  private final String message;

  UpstreamFailure(ParapetError error, String message) {
    this.error = error;
    this.message = message;
  }

  ParapetError error() {
    return error;
  }

  String message() {
    return message;
  }
}
