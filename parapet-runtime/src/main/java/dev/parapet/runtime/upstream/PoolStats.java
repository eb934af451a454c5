package dev.parapet.runtime.upstream;

import java.util.concurrent.atomic.LongAdder;

/**
 * What every {@link OriginPool} of one {@link UpstreamClient} holds now and has refused, summed
 * over event loops and origins, for the metrics scrape (read from any thread; written on the
 * loops, without locks).
 */
public final class PoolStats {
  private final LongAdder open = new LongAdder();
  private final LongAdder waiting = new LongAdder();
  private final LongAdder exhausted = new LongAdder();

  /** Connections to providers open now, in use or resting. */
  public long open() {
    return open.sum();
  }

  /** Calls waiting now for a connection: their pool is at its limit. */
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
