package dev.parapet.runtime.endpoint;

import io.netty.handler.codec.http.HttpMethod;

/**
 * What a request path names, matched on the raw path exactly: no percent-decoding, no dot-segment
 * removal, no slash merging (RFC 3986 §6.2.1 simple string comparison), so {@code %2e%2e},
 * {@code //}, {@code \} or {@code ..} can never reach another endpoint than the literal one.
 */
public enum Endpoint {
  HEALTH("/_parapet/health", HttpMethod.GET, false),
  /** The read-only surfaces of SPEC §4, behind basic auth of {@code users[]}. */
  USAGE("/_parapet/usage", HttpMethod.GET, false),
  EVENTS("/_parapet/events", HttpMethod.GET, false),
  METRICS("/_parapet/metrics", HttpMethod.GET, false),
  /** Anything else under {@code /_parapet/}: 404 for GET, 405 for any other method. */
  PARAPET_OTHER("/_parapet/*", HttpMethod.GET, false),
  ROUTE_CALL("/routes/{route}", HttpMethod.POST, true),
  CHAT_COMPLETIONS("/v1/chat/completions", HttpMethod.POST, true),
  MODELS("/v1/models", HttpMethod.GET, true),
  /** One entry of the list ({@code client.models.retrieve(...)} in OpenAI's SDKs). */
  MODEL("/v1/models/{model}", HttpMethod.GET, true),
  UNKNOWN("unmatched", null, false);

  static final String ROUTES_PREFIX = "/routes/";
  static final String MODELS_PREFIX = "/v1/models/";
  private static final String PARAPET_PREFIX = "/_parapet/";

  private final String template;
  private final HttpMethod method;
  private final boolean gateway;

  Endpoint(String template, HttpMethod method, boolean gateway) {
    this.template = template;
    this.method = method;
    this.gateway = gateway;
  }

  /** The path with its variable part named: what the access log prints, never the raw path. */
  public String template() {
    return template;
  }

  /** The one method this endpoint answers; {@code Allow} of a 405. */
  public HttpMethod method() {
    return method;
  }

  /** Whether this is a bearer-token gateway endpoint. */
  public boolean gateway() {
    return gateway;
  }

  /** Whether this is one of the read-only surfaces behind basic auth. */
  public boolean readOnlySurface() {
    return this == USAGE || this == EVENTS || this == METRICS;
  }

  /** @param path the raw path, query already stripped */
  public static Endpoint classify(String path) {
    if (path.startsWith(PARAPET_PREFIX)) {
      for (Endpoint e : new Endpoint[] {HEALTH, USAGE, EVENTS, METRICS}) {
        if (path.equals(e.template)) {
          return e;
        }
      }
      return PARAPET_OTHER;
    }
    if (path.startsWith(ROUTES_PREFIX) && path.length() > ROUTES_PREFIX.length()) {
      return ROUTE_CALL; // the name is checked after authentication: a bad one is a 403
    }
    if (path.equals(CHAT_COMPLETIONS.template)) {
      return CHAT_COMPLETIONS;
    }
    if (path.equals(MODELS.template)) {
      return MODELS;
    }
    if (path.startsWith(MODELS_PREFIX) && path.length() > MODELS_PREFIX.length()) {
      return MODEL; // like a route call's: the name is checked after authentication
    }
    return UNKNOWN;
  }

  /** The raw route segment of a {@link #ROUTE_CALL} path. */
  public static String routeSegment(String path) {
    return path.substring(ROUTES_PREFIX.length());
  }

  /** The raw model segment of a {@link #MODEL} path: a route name, or nothing this token may see. */
  public static String modelSegment(String path) {
    return path.substring(MODELS_PREFIX.length());
  }
}
