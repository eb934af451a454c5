package dev.parapet.runtime.upstream;

import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.InetNameResolver;
import io.netty.resolver.InetSocketAddressResolver;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Resolves provider host names with the JDK resolver (its cache, /etc/hosts, the system's
 * configuration) on a small thread pool of its own: {@link InetAddress#getByName} blocks, and an
 * event loop must never block (CONVENTIONS). The connect then continues on the event loop.
 */
final class OffLoopResolver extends InetNameResolver {
  private static final ExecutorService LOOKUPS =
      Executors.newFixedThreadPool(2, new DefaultThreadFactory("parapet-dns", true));

  static final AddressResolverGroup<InetSocketAddress> GROUP = new AddressResolverGroup<>() {
    @Override
    protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
      return new InetSocketAddressResolver(executor, new OffLoopResolver(executor));
    }
  };

  private OffLoopResolver(EventExecutor executor) {
    super(executor);
  }

  @Override
  protected void doResolve(String inetHost, Promise<InetAddress> promise) {
    LOOKUPS.execute(() -> {
      try {
        promise.trySuccess(InetAddress.getByName(inetHost));
      } catch (Exception e) {
        promise.tryFailure(e);
      }
    });
  }

  @Override
  protected void doResolveAll(String inetHost, Promise<List<InetAddress>> promise) {
    LOOKUPS.execute(() -> {
      try {
        promise.trySuccess(Arrays.asList(InetAddress.getAllByName(inetHost)));
      } catch (Exception e) {
        promise.tryFailure(e);
      }
    });
  }
}
