package dev.parapet.runtime.upstream;

import dev.parapet.core.config.ProviderType;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.PolicyThreads;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.ChatMessages;
import dev.parapet.runtime.provider.EchoResponder;
import dev.parapet.runtime.provider.InvalidRequestException;
import dev.parapet.runtime.provider.ProviderAdapter;
import dev.parapet.runtime.provider.Providers;
import dev.parapet.runtime.provider.Translated;
import dev.parapet.runtime.provider.UpstreamCall;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The last inbound handler of a caller's pipeline (group "upstream"): it turns a {@link
 * GatewayRequest} that every policy let through into the provider's answer. Echo routes are
 * answered here without a socket; every other route goes through the route's {@link
 * ProviderAdapter} and the shared {@link UpstreamClient}, on this connection's event loop.
 *
 * <p>One instance per caller connection (it holds the call in flight; the front reads one request
 * at a time and resumes on {@link dev.parapet.runtime.RequestCompleted}, which this handler fires
 * exactly once per request, after its last write; it never touches the connection's autoRead).
 * Streaming backpressure keys off the connection's writability, so the write buffer water marks
 * the server sets on its child channels (Netty's default 32/64 KiB, or the gateway's own) bound
 * what a slow reader can make us hold. Anything that is not a {@link GatewayRequest} passes on
 * untouched.
 */
public final class UpstreamProxyHandler extends ChannelInboundHandlerAdapter {

  /**
   * Prompts whose message text is longer than this are encoded for the provider, or echoed, on the
   * {@link PolicyThreads} (4 MB of JSON is ~6 ms of Jackson to encode; an echo counts the prompt
   * twice, ~180 ms for 4 MB), like their parse, count and scan before.
   */
  static final int OFF_LOOP_CHARS = PolicyThreads.THRESHOLD;
  /** Test hook: runs on the policy thread before it encodes or echoes a large prompt (to hold it there). */
  static volatile Runnable beforeOffLoopWorkForTest;
  private static final String PROCESSING_FAILED = "the request could not be processed";

  private final UpstreamClient client;
  private final HydratedConfig config;
  private final UpstreamProviders providers;
  private final Function<GatewayRequest, ExchangeObserver> observers;
  private ProxiedCall current;

  /**
   * @param observers makes the per-request observer the answer-side policies plug into; {@code
   *     request -> ExchangeObserver.NONE} when there are none
   */
  public UpstreamProxyHandler(UpstreamClient client, HydratedConfig config, UpstreamProviders providers,
      Function<GatewayRequest, ExchangeObserver> observers) {
    this.client = Objects.requireNonNull(client, "client");
    this.config = Objects.requireNonNull(config, "config");
    this.providers = Objects.requireNonNull(providers, "providers");
    this.observers = Objects.requireNonNull(observers, "observers");
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof GatewayRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (current != null) {
      // The front reads one request at a time; a second one here is a wiring bug, not a caller's.
      throw new IllegalStateException("request " + request.requestId() + " arrived while "
          + current.request.requestId() + " is in flight");
    }
    ProxiedCall call = new ProxiedCall(ctx, request, observers.apply(request),
        config.providerKey(request.route()), () -> current = null);
    current = call;
    guarded(call, () -> {
      if (request.route().provider().type() == ProviderType.ECHO) {
        echo(call);
      } else {
        forward(call);
      }
    });
  }

  /** Runs one step of {@code call}'s way out; whatever it throws still answers and ends the call. */
  private static void guarded(ProxiedCall call, Runnable step) {
    call.guarded(PROCESSING_FAILED, step);
  }

  /** The provider's request, or why the adapter refused the caller's. */
  private record Prepared(UpstreamCall upstream, String invalid) {}

  /**
   * Builds the provider's request: on this loop for a small body (encoded when written), on the
   * policy threads for a large one, translated (an anthropic route's tree, its images checked)
   * and encoded there, so the loop only copies bytes.
   */
  private void forward(ProxiedCall call) {
    GatewayRequest request = call.request;
    ProviderAdapter adapter = providers.adapters().apply(request.route().provider().type());
    boolean callerWantsUsage = Providers.callerWantsUsage(request.body()); // before any rewrite
    if (ChatMessages.stringChars(request.body()) > OFF_LOOP_CHARS
        && offLoop(call, () -> prepare(adapter, call, true), p -> send(call, adapter, p, callerWantsUsage))) {
      return;
    }
    send(call, adapter, prepare(adapter, call, false), callerWantsUsage);
  }

  private static Prepared prepare(ProviderAdapter adapter, ProxiedCall call, boolean encode) {
    try {
      UpstreamCall upstream = adapter.toUpstream(call.request.route(), call.request.body(), call.providerKey);
      return new Prepared(encode ? upstream.encoded() : upstream, null);
    } catch (InvalidRequestException e) {
      return new Prepared(null, e.getMessage());
    }
  }

  private void send(ProxiedCall call, ProviderAdapter adapter, Prepared prepared, boolean callerWantsUsage) {
    if (prepared.invalid() != null) {
      call.fail(ParapetError.INVALID_REQUEST, prepared.invalid());
      return;
    }
    send(call, adapter, prepared.upstream(), callerWantsUsage);
  }

  /**
   * Runs {@code work} for {@code call} on the {@link PolicyThreads}, then {@code then} with its
   * result on the call's loop, unless the caller left meanwhile (channelInactive ended the call
   * then, and nothing was sent; nothing is held meanwhile). False, having run nothing, if the pool
   * refused the work.
   */
  private static <T> boolean offLoop(ProxiedCall call, Supplier<T> work, Consumer<T> then) {
    return call.offLoop(PROCESSING_FAILED, () -> {
      Runnable hook = beforeOffLoopWorkForTest;
      if (hook != null) {
        hook.run();
      }
      return work.get();
    }, then, () -> {});
  }

  private void send(ProxiedCall call, ProviderAdapter adapter, UpstreamCall upstream, boolean callerWantsUsage) {
    GatewayRequest request = call.request;
    Answer answer = request.stream()
        ? new StreamedAnswer(call, adapter, adapter.newStreamTranslator(request.route(), callerWantsUsage))
        : new BufferedAnswer(call, adapter);
    UpstreamExchange exchange;
    try {
      exchange = client.send(
          call.ctx.channel(), upstream, request.route().provider().timeoutMs(), !request.stream(), answer);
    } catch (IllegalArgumentException e) {
      call.fail(ParapetError.UPSTREAM_ERROR, "route " + request.route().name() + " has no usable base_url");
      return;
    }
    if (!call.completed()) {
      call.attach(exchange, answer);
    }
  }

  /** The echo's answer: the whole one, prepared, or the stream's. */
  private record Echo(Translated whole, EchoResponder.Stream stream) {}

  private void echo(ProxiedCall call) {
    if (ChatMessages.textChars(call.request.body()) > OFF_LOOP_CHARS
        && offLoop(call, () -> echoAnswer(call), echo -> answerEcho(call, echo))) {
      return;
    }
    answerEcho(call, echoAnswer(call));
  }

  /** Makes the echo: counts and copies the prompt, so a large one is made off the loop. */
  private Echo echoAnswer(ProxiedCall call) {
    GatewayRequest request = call.request;
    if (!request.stream()) {
      Translated t = providers.echo().answer(request.route(), request.body());
      call.prepareWhole(t, null); // the echo holds no key: nothing to check
      return new Echo(t, null);
    }
    return new Echo(null, providers.echo().stream(request.route(), request.body(),
        Providers.callerWantsUsage(request.body())));
  }

  private void answerEcho(ProxiedCall call, Echo echo) {
    if (echo.stream() == null) {
      call.answerWhole(echo.whole(), new DefaultHttpHeaders(), null, null);
      return;
    }
    new EchoStream(call, echo.stream()).start();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (current != null) {
      current.writabilityChanged(ctx.channel().isWritable());
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (current != null) {
      current.callerGone();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (current != null) {
      current.callerGone();
    }
  }
}
