package dev.parapet.bench.jmh;

import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.seal.OpenedState;
import dev.parapet.core.seal.Sealer;
import java.security.SecureRandom;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Sealer#open} of a sealed 100-route config: key derivation, AES-GCM decryption, JSON to
 * records. Warm (JIT-compiled) cost; the cold cost at boot is part of bench/run's boot scenario.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class BlobOpenBenchmark {
  private String blob;
  private MasterKey key;

  @Setup
  public void setUp() throws Exception {
    SecureRandom random = new SecureRandom();
    key = MasterKey.generate(random);
    blob = Sealer.seal(BenchConfigs.hydrated(BenchConfigs.spec(100)), key, random);
  }

  @Benchmark
  public OpenedState open100Routes() throws Exception {
    return Sealer.open(blob, key);
  }
}
