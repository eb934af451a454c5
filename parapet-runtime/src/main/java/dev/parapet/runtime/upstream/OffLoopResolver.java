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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Resolves provider host names with the JDK resolver (its cache, /etc/hosts, the system's
 * configuration) on a small thread pool of its own: {@link InetAddress#getByName} blocks, and an
 * event loop must never block (CONVENTIONS). The connect then continues on the event loop.
 *
 * <p>At most {@link #MAX_WAITING} lookups wait for a thread. A resolver that hangs (an unreachable
 * DNS server: the system's resolver retries for tens of seconds) would otherwise let every call of
 * a flood leave a lookup behind in memory after its caller got its 502 (the pool's connect deadline
 * bounds the call and frees its connection slot, not the thread); past the bound a lookup is
 * refused at once ({@link LookupsBusyException}) and its caller gets 503 {@code unavailable}, as
 * when a provider's connection pool and its line are full.
 */
final class OffLoopResolver extends InetNameResolver {
  /** Lookups waiting for one of the two threads; more are refused. */
  static final int MAX_WAITING = 1024;
  /** Test hook: runs on the lookup thread before each lookup (to hold it there, as a hung resolver). */
  static volatile Runnable beforeLookupForTest;

  private static final ThreadPoolExecutor LOOKUPS = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS,
      new ArrayBlockingQueue<>(MAX_WAITING), new DefaultThreadFactory("parapet-dns", true),
      new ThreadPoolExecutor.AbortPolicy());

  static final AddressResolverGroup<InetSocketAddress> GROUP = new AddressResolverGroup<>() {
    @Override
    protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
      return new InetSocketAddressResolver(executor, new OffLoopResolver(executor));
    }
  };

  private OffLoopResolver(EventExecutor executor) {
    super(executor);
  }

  /** The lookups waiting for a thread; for tests. */
  static int waiting() {
    return LOOKUPS.getQueue().size();
  }

  @Override
  protected void doResolve(String inetHost, Promise<InetAddress> promise) {
    lookUp(promise, () -> InetAddress.getByName(inetHost));
  }

  @Override
  protected void doResolveAll(String inetHost, Promise<List<InetAddress>> promise) {
    lookUp(promise, () -> Arrays.asList(InetAddress.getAllByName(inetHost)));
  }

  private static <T> void lookUp(Promise<T> promise, Callable<T> lookup) {
    try {
      LOOKUPS.execute(() -> {
        try {
          Runnable hook = beforeLookupForTest;
          if (hook != null) {
            hook.run();
          }
          promise.trySuccess(lookup.call());
        } catch (Exception e) {
          promise.tryFailure(e);
        }
      });
    } catch (RejectedExecutionException e) {
      promise.tryFailure(new LookupsBusyException());
    }
  }

  /** {@link #MAX_WAITING} lookups already wait: we are at a limit of our own, not the provider. */
  static final class LookupsBusyException extends Exception {
    private static final long serialVersionUID = 1L;

    LookupsBusyException() {
      super("too many host name lookups waiting", null, false, false);
    }
  }
}
