package dev.parapet.runtime;

import dev.parapet.runtime.flow.DrainHandler;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.Usage;
import dev.parapet.runtime.upstream.FailureReason;
import io.netty.channel.Channel;
import java.util.Optional;

/**
 * The one event that ends every request, answered or refused, fired exactly once with {@code
 * ctx.pipeline().fireUserEventTriggered(...)} by whichever handler finished the response. Every
 * cleanup hangs off it — resume reading the connection, write the access line, settle or release a
 * budget hold, record telemetry — so no path can forget one (CONVENTIONS: Zuul's CompleteEvent).
 *
 * @param request the call, once it got past identity and route checks; empty for refusals before
 * @param status HTTP status sent to the caller (200 for a stream, even one cut short)
 * @param error the refusal or failure, if any (for streams: how the stream ended, if not cleanly)
 * @param usage tokens the provider reported, or counted for a stream cut short
 * @param reportedModel the model the provider said answered
 * @param latencyNanos from the request head to the last byte written
 * @param upstreamReason why the provider call failed, in {@link FailureReason}'s fixed words, when
 *     it did (for the {@code upstream_error} event; never the caller's answer nor the row)
 */
public record RequestCompleted(
    String requestId,
    Optional<GatewayRequest> request,
    int status,
    Optional<ParapetError> error,
    Optional<Usage> usage,
    Optional<String> reportedModel,
    long latencyNanos,
    Optional<FailureReason> upstreamReason) {
  /** A request that did not end in a failed provider call. */
  public RequestCompleted(String requestId, Optional<GatewayRequest> request, int status,
      Optional<ParapetError> error, Optional<Usage> usage, Optional<String> reportedModel, long latencyNanos) {
    this(requestId, request, status, error, usage, reportedModel, latencyNanos, Optional.empty());
  }

  /** nginx's "client closed request": the caller left before the answer was complete. */
  public static final int CALLER_GONE = 499;

  /**
   * The status of a request ended because {@code channel} closed under it: {@link #CALLER_GONE} when
   * its caller closed it, 503 when the shutdown grace period did ({@link DrainHandler#cut}).
   */
  public static int goneStatus(Channel channel) {
    return DrainHandler.cutByShutdown(channel) ? ParapetError.SHUTDOWN.status().code() : CALLER_GONE;
  }

  /** The error of such a request: {@link ParapetError#SHUTDOWN} when the grace period closed it. */
  public static Optional<ParapetError> goneError(Channel channel) {
    return DrainHandler.cutByShutdown(channel) ? Optional.of(ParapetError.SHUTDOWN) : Optional.empty();
  }

  /**
   * Ended because its connection closed, by its caller (499) or by the shutdown grace period (503
   * {@code shutdown}): either way nothing more of the answer was read, and it is settled alike.
   */
  public boolean connectionGone() {
    return status == CALLER_GONE || error.filter(e -> e == ParapetError.SHUTDOWN).isPresent();
  }
}
