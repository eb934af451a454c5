package dev.parapet.runtime.http;

import dev.parapet.core.config.Service;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.util.AttributeKey;
import java.util.Objects;
import java.util.Optional;

/**
 * The request a connection is answering right now: its id, when its head arrived, what it asked
 * for and, once authenticated, who asked. Set on the channel by the request-id handler when a head
 * is decoded and cleared when the request completes; the connection serves one request at a time,
 * so there is never more than one. Holds no ByteBuf.
 */
public final class Exchange {
  private static final AttributeKey<Exchange> KEY = AttributeKey.valueOf("parapet.exchange");

  private final String requestId;
  private final long startNanos;
  private final HttpMethod method;
  private final String path;
  private volatile Service service;

  public Exchange(String requestId, long startNanos, HttpMethod method, String rawUri) {
    this.requestId = Objects.requireNonNull(requestId, "requestId");
    this.startNanos = startNanos;
    this.method = Objects.requireNonNull(method, "method");
    this.path = pathOf(Objects.requireNonNull(rawUri, "rawUri"));
  }

  /** The raw request-target up to the query: no decoding, no normalisation (so nothing aliases). */
  static String pathOf(String rawUri) {
    int q = rawUri.indexOf('?');
    return q < 0 ? rawUri : rawUri.substring(0, q);
  }

  public String requestId() {
    return requestId;
  }

  public long startNanos() {
    return startNanos;
  }

  public HttpMethod method() {
    return method;
  }

  /** The raw path, query stripped. */
  public String path() {
    return path;
  }

  /** The authenticated service, once the auth handler has run. */
  public Optional<Service> service() {
    return Optional.ofNullable(service);
  }

  public void authenticated(Service service) {
    this.service = Objects.requireNonNull(service, "service");
  }

  public long elapsedNanos() {
    return System.nanoTime() - startNanos;
  }

  public static Optional<Exchange> of(Channel channel) {
    return Optional.ofNullable(channel.attr(KEY).get());
  }

  public static void begin(Channel channel, Exchange exchange) {
    channel.attr(KEY).set(exchange);
  }

  /** Clears the current exchange if it is {@code exchange} (a later one is left alone). */
  public static void end(Channel channel, String requestId) {
    Exchange current = channel.attr(KEY).get();
    if (current != null && current.requestId.equals(requestId)) {
      channel.attr(KEY).set(null);
    }
  }
}
