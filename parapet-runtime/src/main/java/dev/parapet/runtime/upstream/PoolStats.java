package dev.parapet.runtime.upstream;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * What the {@link OriginPool}s of one {@link UpstreamClient} hold now and have refused, per
 * {@link Origin} and summed over event loops, for the metrics scrape (read from any thread;
 * written on the loops, without locks). The origins are the routes' base URLs', so their number
 * is bounded by the config; {@link #expect} makes each known before its first call, so its series
 * read 0 from boot (Prometheus: avoid missing metrics) rather than appear at the first call.
 */
public final class PoolStats {
  private final Map<Origin, OfOrigin> byOrigin = new ConcurrentHashMap<>();
  private Consumer<OfOrigin> watcher = o -> {};

  /** One origin's pools, summed over event loops. */
  public static final class OfOrigin {
    private final String origin;
    private final LongAdder open = new LongAdder();
    private final LongAdder waiting = new LongAdder();
    private final LongAdder exhausted = new LongAdder();

    private OfOrigin(String origin) {
      this.origin = origin;
    }

    /** {@code scheme://host:port}: never a path, a query or user info. */
    public String origin() {
      return origin;
    }

    /** Connections to this origin open now, in use or resting. */
    public long open() {
      return open.sum();
    }

    /** Calls waiting now for a connection to this origin: their pool is at its limit. */
    public long waiting() {
      return waiting.sum();
    }

    /** Calls that got no connection since start: pool and line full, or their wait ran out. */
    public long exhausted() {
      return exhausted.sum();
    }

    void opened(int delta) {
      open.add(delta);
    }

    void waiting(int delta) {
      waiting.add(delta);
    }

    void refused() {
      exhausted.increment();
    }
  }

  /**
   * Makes the origin of {@code baseUrl} (a route's) known now.
   *
   * @throws IllegalArgumentException when it is not http(s) with a host
   */
  public void expect(URI baseUrl) {
    of(Origin.of(baseUrl));
  }

  /** Every origin known now. */
  public List<OfOrigin> origins() {
    return List.copyOf(byOrigin.values());
  }

  /**
   * Hands {@code w} every origin known now and, from then on, each origin as it becomes known
   * (on the thread that makes it known: at boot for the routes' origins).
   */
  public synchronized void watch(Consumer<OfOrigin> w) {
    watcher = w;
    byOrigin.values().forEach(w);
  }

  OfOrigin of(Origin origin) {
    OfOrigin o = byOrigin.get(origin);
    return o != null ? o : add(origin);
  }

  // Locked only the first time an origin is seen; the routes' origins are all seen at boot.
  private synchronized OfOrigin add(Origin origin) {
    OfOrigin o = byOrigin.get(origin);
    if (o == null) {
      o = new OfOrigin(origin.label());
      byOrigin.put(origin, o);
      watcher.accept(o);
    }
    return o;
  }
}
