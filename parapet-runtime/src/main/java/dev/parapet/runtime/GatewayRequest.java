package dev.parapet.runtime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import java.util.Objects;

/**
 * A gateway call that has passed identity and route checks: who is calling, which route, and
 * the parsed OpenAI Chat Completions body. Policy handlers (tokens, budget, redaction) read and
 * may rewrite {@link #body()}; the upstream stage sends it. Carries no ByteBuf: nothing to release.
 *
 * @param requestId the id every response carries as {@code x-parapet-request-id}
 * @param stream whether the caller asked for {@code stream: true}
 * @param keepAlive whether the caller's connection stays open after the answer
 * @param startNanos {@link System#nanoTime()} when the request head arrived
 */
public record GatewayRequest(
    String requestId,
    Service service,
    Route route,
    ObjectNode body,
    boolean stream,
    boolean keepAlive,
    long startNanos) {
  public GatewayRequest {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(body, "body");
  }
}
