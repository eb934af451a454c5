package dev.parapet.runtime.policy.redact;

import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.redact.Redactor;
import dev.parapet.core.store.EventKind;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.policy.EnforcementEvents;
import dev.parapet.runtime.policy.OffLoop;
import dev.parapet.runtime.provider.ChatMessages;
import dev.parapet.runtime.policy.PolicyRefusals;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The first handler of the policy group: the route's {@code redaction} over every string the
 * caller sends upstream ({@link PromptScrubber} says which), with the linear-time {@link Redactor}
 * (one pass per string). First, so that the token limit
 * and the budget count the prompt that will actually be sent, and so that a blocked prompt costs
 * nothing else.
 *
 * <ul>
 *   <li>{@code block}: a match answers 422 {@code redaction_blocked} naming the pattern (never the
 *       match); nothing goes upstream.
 *   <li>{@code warn}: every match becomes {@code [REDACTED:<PATTERN>]} in the body that is
 *       forwarded, and the answer to this request — whatever it is — carries {@code
 *       x-parapet-redactions: <count>}: this handler stamps the request's first response head on
 *       its way out.
 *   <li>{@code off}, or no patterns: nothing.
 * </ul>
 *
 * Both record an event with counts per pattern name, never the matched text. One per connection
 * (it remembers the count to stamp until the request completes).
 */
public final class RedactionHandler extends ChannelDuplexHandler {
  public static final String HEADER = "x-parapet-redactions";

  private final EnforcementEvents events;
  private int toStamp;

  public RedactionHandler(EnforcementEvents events) {
    this.events = Objects.requireNonNull(events, "events");
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof GatewayRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    RedactionPolicy policy = request.route().policy().redaction();
    if (policy.mode() == RedactionMode.OFF) {
      ctx.fireChannelRead(request);
      return;
    }
    Redactor redactor = Redactor.forPatterns(policy.patterns());
    if (policy.mode() == RedactionMode.BLOCK) {
      AtomicReference<Optional<RedactionPattern>> match = new AtomicReference<>();
      run(ctx, request, () -> match.set(PromptScrubber.firstMatch(redactor, request.body())),
          () -> block(ctx, request, match.get()));
    } else {
      AtomicReference<Map<RedactionPattern, Integer>> counts = new AtomicReference<>();
      run(ctx, request, () -> counts.set(PromptScrubber.scrub(redactor, request.body())),
          () -> warn(ctx, request, counts.get()));
    }
  }

  /** {@code scan} then {@code then}: off the event loop for a large prompt, here otherwise. */
  private static void run(ChannelHandlerContext ctx, GatewayRequest request, Runnable scan, Runnable then) {
    // re2j reads adversarial text at ~3 MB/s: a 4 MB body of a@a@… would hold the loop a second
    if (ChatMessages.stringChars(request.body()) > OffLoop.THRESHOLD && OffLoop.submit(ctx, request, scan, then)) {
      return;
    }
    scan.run(); // small (or the pool refused it): scan here
    then.run();
  }

  private void block(ChannelHandlerContext ctx, GatewayRequest request, Optional<RedactionPattern> match) {
    if (match.isEmpty()) {
      ctx.fireChannelRead(request);
      return;
    }
    events.record(request, EventKind.REDACTION_BLOCKED, Map.of("pattern", match.get().name()));
    PolicyRefusals.refuse(ctx, request, ParapetError.REDACTION_BLOCKED,
        "the request matches redaction pattern " + match.get().name() + " and route " + request.route().name()
            + " blocks it");
  }

  private void warn(ChannelHandlerContext ctx, GatewayRequest request, Map<RedactionPattern, Integer> counts) {
    if (!counts.isEmpty()) {
      Map<String, String> details = new LinkedHashMap<>();
      int total = 0;
      for (Map.Entry<RedactionPattern, Integer> e : counts.entrySet()) {
        details.put(e.getKey().name(), Integer.toString(e.getValue()));
        total += e.getValue();
      }
      toStamp = total;
      events.record(request, EventKind.REDACTED, details);
    }
    ctx.fireChannelRead(request);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (toStamp > 0 && msg instanceof HttpResponse response) {
      response.headers().set(HEADER, toStamp);
      toStamp = 0;
    }
    ctx.write(msg, promise);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof RequestCompleted) {
      toStamp = 0;
    }
    ctx.fireUserEventTriggered(evt);
  }
}
