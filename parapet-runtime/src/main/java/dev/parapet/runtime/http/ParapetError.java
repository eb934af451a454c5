package dev.parapet.runtime.http;

import io.netty.handler.codec.http.HttpResponseStatus;

/** Every refusal Parapet answers with, and its HTTP status (SPEC §4, "Refusals"). */
public enum ParapetError {
  INVALID_TOKEN(HttpResponseStatus.UNAUTHORIZED, "invalid_token"),
  ROUTE_FORBIDDEN(HttpResponseStatus.FORBIDDEN, "route_forbidden"),
  MODEL_NOT_ALLOWED(HttpResponseStatus.FORBIDDEN, "model_not_allowed"),
  INVALID_REQUEST(HttpResponseStatus.BAD_REQUEST, "invalid_request"),
  MAX_TOKENS_IN_EXCEEDED(HttpResponseStatus.BAD_REQUEST, "max_tokens_in_exceeded"),
  BUDGET_EXCEEDED(HttpResponseStatus.PAYMENT_REQUIRED, "budget_exceeded"),
  NOT_FOUND(HttpResponseStatus.NOT_FOUND, "not_found"),
  METHOD_NOT_ALLOWED(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed"),
  REQUEST_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request_too_large"),
  /**
   * A request body slower than {@code PARAPET_MIN_BODY_RATE} (slow-POST), or not whole within
   * {@code PARAPET_BODY_TIMEOUT_MS} of its head.
   */
  REQUEST_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT, "request_timeout"),
  /** An {@code Expect} other than {@code 100-continue} (RFC 9110 §10.1.1). */
  EXPECTATION_FAILED(HttpResponseStatus.EXPECTATION_FAILED, "expectation_failed"),
  URI_TOO_LONG(HttpResponseStatus.REQUEST_URI_TOO_LONG, "uri_too_long"),
  HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large"),
  REDACTION_BLOCKED(HttpResponseStatus.UNPROCESSABLE_ENTITY, "redaction_blocked"),
  MODEL_DRIFT(HttpResponseStatus.BAD_GATEWAY, "model_drift"),
  UPSTREAM_ERROR(HttpResponseStatus.BAD_GATEWAY, "upstream_error"),
  UPSTREAM_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream_timeout"),
  UNAUTHORIZED(HttpResponseStatus.UNAUTHORIZED, "unauthorized"),
  FORBIDDEN(HttpResponseStatus.FORBIDDEN, "forbidden"),
  TOO_MANY_REQUESTS(HttpResponseStatus.TOO_MANY_REQUESTS, "too_many_requests"),
  SERVICE_UNAVAILABLE(HttpResponseStatus.SERVICE_UNAVAILABLE, "unavailable"),
  INTERNAL_ERROR(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error"),
  /**
   * Never sent to a caller: a request the shutdown grace period ({@code PARAPET_SHUTDOWN_GRACE_MS}) cut by
   * closing its connection (a stream's caller saw its body end without {@code [DONE]}). Its row,
   * access line and metrics say 503 {@code shutdown}, not 499: the gateway closed it, not its caller.
   */
  SHUTDOWN(HttpResponseStatus.SERVICE_UNAVAILABLE, "shutdown"),
  /** Not a response status: the one SSE event that ends a stream a guard cut short. */
  STREAM_TRUNCATED(HttpResponseStatus.OK, "stream_truncated");

  private final HttpResponseStatus status;
  private final String code;

  ParapetError(HttpResponseStatus status, String code) {
    this.status = status;
    this.code = code;
  }

  public HttpResponseStatus status() {
    return status;
  }

  public String code() {
    return code;
  }
}
