package dev.parapet.bench.jmh;

import dev.parapet.core.budget.BudgetLedger;
import dev.parapet.core.budget.HoldResult;
import dev.parapet.core.budget.LedgerJournal;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One hold and its settle on the in-memory ledger ({@link LedgerJournal#NONE}: the store's cost is
 * measured end to end by bench/run). Single-threaded and with two threads contending on the lock,
 * as the two event loops of a 2-core box do.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class BudgetBenchmark {
  private static final long CAP = 1_000_000L * 1_000_000_000L; // $1M in nano-USD: never refuses
  private BudgetLedger ledger;

  @Setup
  public void setUp() {
    ledger = new BudgetLedger(LedgerJournal.NONE, 1_000_000);
  }

  @Benchmark
  public boolean holdSettle() {
    return cycle();
  }

  @Benchmark
  @Threads(2)
  public boolean holdSettleTwoThreads() {
    return cycle();
  }

  private boolean cycle() {
    HoldResult r = ledger.tryHold("bench-json", CAP, "bench", OptionalLong.empty(), 12_000_000L, Instant.now());
    if (r instanceof HoldResult.Granted g) {
      return ledger.settle(g.hold(), 1_305_000L);
    }
    throw new IllegalStateException("refused: " + r);
  }
}
