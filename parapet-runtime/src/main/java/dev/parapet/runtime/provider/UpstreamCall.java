package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.Map;
import java.util.Objects;

/**
 * One HTTP request to a provider, fully decided by the adapter: the URL comes from the route's
 * {@code base_url} (never from the caller), the headers are exactly those listed (the provider
 * key among them), nothing of the caller's is copied implicitly.
 *
 * <p>The body is either bytes, or a JSON tree that is serialized straight into the outgoing
 * (pooled) buffer when the request is written ({@link #json}), without an intermediate {@code
 * byte[]}. Such a tree must not change after the adapter returned the call.
 */
public final class UpstreamCall {
  private final URI uri;
  private final Map<String, String> headers;
  private final byte[] bytes;
  private final JsonNode tree;

  /**
   * @param headers header name (lower case) to value; includes the injected provider key, so
   *     {@link #toString()} masks values
   * @param body the JSON bytes to POST
   */
  public UpstreamCall(URI uri, Map<String, String> headers, byte[] body) {
    this(uri, headers, Objects.requireNonNull(body, "body"), null);
  }

  private UpstreamCall(URI uri, Map<String, String> headers, byte[] bytes, JsonNode tree) {
    this.uri = Objects.requireNonNull(uri, "uri");
    this.headers = Map.copyOf(headers);
    this.bytes = bytes;
    this.tree = tree;
  }

  /** A call whose body is {@code body} serialized as compact JSON (UTF-8) when it is written. */
  public static UpstreamCall json(URI uri, Map<String, String> headers, JsonNode body) {
    return new UpstreamCall(uri, headers, null, Objects.requireNonNull(body, "body"));
  }

  public URI uri() {
    return uri;
  }

  public Map<String, String> headers() {
    return headers;
  }

  /** The body as bytes: a copy of what {@link #encodeBody} writes (inspection and tests). */
  public byte[] body() {
    return tree == null ? bytes.clone() : Json.writeBytes(tree);
  }

  /**
   * This call with its body encoded now, as bytes: for a large body, encoded on a policy thread so
   * that the event loop only copies bytes when it writes the request. The tree must not change
   * meanwhile (the call's loop leaves it alone until the bytes come back).
   */
  public UpstreamCall encoded() {
    return tree == null ? this : new UpstreamCall(uri, headers, Json.writeBytes(tree), null);
  }

  /** The body in a buffer the caller owns (and must release or write). */
  public ByteBuf encodeBody(ByteBufAllocator alloc) {
    if (tree == null) {
      return Unpooled.wrappedBuffer(bytes);
    }
    ByteBuf out = alloc.buffer();
    try (OutputStream stream = new ByteBufOutputStream(out)) {
      Json.MAPPER.writeValue(stream, tree);
    } catch (IOException | RuntimeException e) {
      out.release();
      throw new IllegalStateException("cannot serialize a JSON tree", e);
    }
    return out;
  }

  @Override
  public String toString() {
    return "UpstreamCall[uri=" + uri + ", headers=" + headers.keySet() + ", body="
        + (tree == null ? bytes.length + " bytes" : "JSON") + "]";
  }
}
