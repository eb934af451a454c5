package dev.parapet.bench.jmh;

import dev.parapet.core.config.ProviderType;
import dev.parapet.core.tokens.TokenCounter;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Prompt token counting (o200k_base for a gpt-4o route) of a chat request's messages. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class TokenCountBenchmark {
  @Param({"1024", "102400"})
  public int bytes;

  private TokenCounter counter;
  private List<String> messages;

  @Setup
  public void setUp() {
    counter = TokenCounter.forModel(ProviderType.OPENAI, BenchConfigs.MODEL);
    messages = List.of("You are a concise assistant.", RedactionScanBenchmark.prose(bytes));
  }

  @Benchmark
  public int countMessages() {
    return counter.countMessages(messages);
  }
}
