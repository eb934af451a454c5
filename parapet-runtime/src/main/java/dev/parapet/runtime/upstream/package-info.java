/**
 * The back of the gateway: calling the provider and answering the caller.
 *
 * <p>Wiring (the front's side). One {@link dev.parapet.runtime.upstream.UpstreamClient} per
 * process, built by {@code Wiring} from the deployment knobs ({@code UpstreamClient.withExtraCa}: JDK
 * trust anchors plus {@code PARAPET_UPSTREAM_CA_FILE}, {@code PARAPET_UPSTREAM_MAX_PER_ORIGIN}
 * connections per event loop and origin (default 64), {@code PARAPET_UPSTREAM_IDLE_MS} idle close (default 30 s), and the {@link
 * dev.parapet.runtime.upstream.EgressProxy} of {@code PARAPET_UPSTREAM_PROXY}), closed at shutdown. One
 * {@link dev.parapet.runtime.upstream.UpstreamProxyHandler} per caller connection, last in the
 * pipeline: {@code new UpstreamProxyHandler(client, hydratedConfig, UpstreamProviders.builtIn(),
 * request -> observer)}. The front fires one {@link dev.parapet.runtime.GatewayRequest} at a
 * time and stops reading the connection until the matching {@link
 * dev.parapet.runtime.RequestCompleted}, and owns autoRead. Streaming backpressure keys off the
 * caller connection's writability: the server's child write buffer water marks bound what a slow
 * reader can make us hold.
 *
 * <p>Inside: {@code UpstreamExchange} runs one request on a connection leased from {@code
 * OriginPool}; {@code BufferedAnswer} or {@code StreamedAnswer} turns what it hears into the
 * caller's response; {@code ProxiedCall} is the single way a request ends. Answer-side policies
 * (drift lock, stream guard) plug in through {@link dev.parapet.runtime.upstream.ExchangeObserver}.
 */
package dev.parapet.runtime.upstream;
