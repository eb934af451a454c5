package dev.parapet.bench.jmh;

import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.redact.Redactor;
import dev.parapet.core.redact.ScanResult;
import java.util.EnumSet;
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

/**
 * The prompt scan every request pays: all seven patterns, as a route with {@code redaction: warn}
 * and every pattern runs it. Reported as time per scan; bench/jmh converts to MB/s using the
 * {@code bytes} of each input (ASCII, so chars = bytes).
 *
 * <p>Inputs: ordinary prose (no matches) at 1 KB, 100 KB, 1 MB; business prose dense with numbers
 * (years, versions, prices, times: every one a trigger for the IPV4/card search) at 1 KB; 1 MB
 * of prose after one stray trigger ({@code @Override}), which no match completes; and 1 MB
 * adversarial inputs made of the prefixes the patterns must consider at every position —
 * {@code a@a@…} (e-mail), a run of digits (card numbers), {@code 1.1.…} (addresses), repeated
 * {@code -----BEGIN } (private keys), repeated {@code eyJ.} (JWTs), repeated {@code Bearer } (bearer
 * tokens), and {@code sk-sk-…}, which is one key-shaped match 1 MB long.
 * Linear behaviour means the adversarial MB/s stays within a constant factor of ordinary input.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class RedactionScanBenchmark {
  @Param({"prose-1k", "numbers-1k", "prose-100k", "prose-1m", "stray-1m", "email-1m", "digits-1m", "dotted-1m", "pem-1m", "jwt-1m", "bearer-1m", "sk-1m"})
  public String input;

  private Redactor redactor;
  private String text;

  @Setup
  public void setUp() {
    redactor = Redactor.forPatterns(EnumSet.allOf(RedactionPattern.class));
    text = switch (input) {
      case "prose-1k" -> prose(1 << 10);
      case "numbers-1k" -> numbers(1 << 10);
      case "prose-100k" -> prose(100 << 10);
      case "prose-1m" -> prose(1 << 20);
      case "stray-1m" -> "@Override\n" + prose((1 << 20) - 10);
      case "email-1m" -> repeat("a@", 1 << 20);
      case "digits-1m" -> repeat("4", 1 << 20);
      case "dotted-1m" -> repeat("1.", 1 << 20);
      case "pem-1m" -> repeat("-----BEGIN ", 1 << 20);
      case "jwt-1m" -> repeat("eyJ.", 1 << 20);
      case "bearer-1m" -> repeat("Bearer ", 1 << 20);
      case "sk-1m" -> repeat("sk-", 1 << 20); // one 1 MB key-shaped match
      default -> throw new IllegalArgumentException(input);
    };
  }

  @Benchmark
  public ScanResult scan() {
    return redactor.scan(text);
  }

  static String prose(int bytes) {
    String p = "The quarterly review covered the migration of the billing service, the new on-call "
        + "rotation and the budget for next year's hardware. Alice proposed moving the staging "
        + "cluster to the new region by March 14; the team agreed, pending a cost estimate of "
        + "roughly 12,500 dollars and a review of the 3 open incidents. ";
    return repeat(p, bytes);
  }

  static String numbers(int bytes) {
    String p = "Release 2.14.3 shipped on 2026-03-14 at 09:30; 1,250 seats at $12.50 cost 15,625.00 "
        + "in Q1 2026, up 4.5% from 2025. Build 20260314.2 fixed 17 of 23 bugs; v3.1 is due 2026-06-01. ";
    return repeat(p, bytes);
  }

  static String repeat(String unit, int bytes) {
    StringBuilder sb = new StringBuilder(bytes + unit.length());
    while (sb.length() < bytes) {
      sb.append(unit);
    }
    sb.setLength(bytes);
    return sb.toString();
  }
}
