package dev.parapet.runtime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A gateway call that has passed identity and route checks: who is calling, which route, and
 * the parsed OpenAI Chat Completions body. Policy handlers (tokens, budget, redaction) read and
 * may rewrite {@link #body()}; the upstream stage sends it. Carries no ByteBuf: nothing to release.
 *
 * <p>The body is dropped once the provider has answered ({@link #releaseBody()}): everything that
 * reads it runs before the call is forwarded, while the request itself stays referenced by the
 * observers, the budget and the telemetry until the call ends. A stream can last minutes, and a
 * long prompt (a conversation's history, a document) would otherwise stay on the heap as long;
 * with thousands of open streams the prompts, not the streams, would fill the heap.
 *
 * <p>Touched on its connection's event loop, and by work on a large prompt handed to the {@link
 * PolicyThreads} (its texts built and counted, its scan, which may rewrite the body; its encoding
 * for the provider) while the loop leaves it alone: the hand-over and back orders every access.
 */
public final class GatewayRequest {
  /** Notes a row keeps: one place is left for the charge's ({@code Charge.Basis#note}). */
  public static final int MAX_NOTES = 15;
  private final String requestId;
  private final Service service;
  private final Route route;
  private ObjectNode body;
  private final boolean stream;
  private final boolean keepAlive;
  private final long startNanos;
  /** What the policies enforced on this call, for its telemetry row; null until the first. */
  private List<String> notes;

  /**
   * @param requestId the id every response carries as {@code x-parapet-request-id}
   * @param stream whether the caller asked for {@code stream: true}
   * @param keepAlive whether the caller's connection stays open after the answer
   * @param startNanos {@link System#nanoTime()} when the request head arrived
   */
  public GatewayRequest(
      String requestId,
      Service service,
      Route route,
      ObjectNode body,
      boolean stream,
      boolean keepAlive,
      long startNanos) {
    this.requestId = Objects.requireNonNull(requestId, "requestId");
    this.service = Objects.requireNonNull(service, "service");
    this.route = Objects.requireNonNull(route, "route");
    this.body = Objects.requireNonNull(body, "body");
    this.stream = stream;
    this.keepAlive = keepAlive;
    this.startNanos = startNanos;
  }

  public String requestId() {
    return requestId;
  }

  public Service service() {
    return service;
  }

  public Route route() {
    return route;
  }

  /**
   * The parsed body, as the policies left it.
   *
   * @throws IllegalStateException once the provider has answered ({@link #releaseBody()})
   */
  public ObjectNode body() {
    ObjectNode b = body;
    if (b == null) {
      throw new IllegalStateException("request " + requestId + ": the body was released when the provider answered");
    }
    return b;
  }

  /** Whether {@link #body()} is still there. */
  public boolean hasBody() {
    return body != null;
  }

  /**
   * Drops the body: the provider has answered, so no retry will send it again and no policy
   * reads it any more. Idempotent.
   */
  public void releaseBody() {
    body = null;
  }

  public boolean stream() {
    return stream;
  }

  public boolean keepAlive() {
    return keepAlive;
  }

  public long startNanos() {
    return startNanos;
  }

  /**
   * The row note of a call whose provider quoted the route's key in a 2xx answer, masked before the
   * caller saw it (also counted: {@code parapet_provider_key_masked_total}).
   */
  public static final String PROVIDER_KEY_MASKED = "provider_key_masked";

  /**
   * Notes what a policy enforced on this call ({@code redacted}, {@code stream_truncated:max_tokens_out}
   * …): its telemetry row's enforcement notes. A repeated note is kept once; beyond {@value
   * #MAX_NOTES} notes the rest are dropped (the events keep every detail). Thread-safe: a policy
   * thread may note while the recorder reads.
   */
  public synchronized void note(String note) {
    Objects.requireNonNull(note, "note");
    if (notes == null) {
      notes = new ArrayList<>(2);
    }
    if (notes.size() < MAX_NOTES && !notes.contains(note)) {
      notes.add(note);
    }
  }

  /** Whether {@code note} was made ({@link #note}). */
  public synchronized boolean noted(String note) {
    return notes != null && notes.contains(note);
  }

  /** The notes so far, in the order they were made. */
  public synchronized List<String> notes() {
    return notes == null ? List.of() : List.copyOf(notes);
  }

  /** No body: a prompt never reaches a log line. */
  @Override
  public String toString() {
    return "GatewayRequest[requestId=" + requestId + ", service=" + service.label() + ", route=" + route.name()
        + ", stream=" + stream + ", keepAlive=" + keepAlive + "]";
  }
}
