package dev.parapet.runtime.boot;

import dev.parapet.core.config.Quoting;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The deployment knobs, read strictly from the environment: a value that is not exactly the
 * expected form is a boot error naming the variable (no silent default for a typo). None of these
 * is policy: every policy comes from the sealed blob.
 *
 * @param bind the address to listen on ({@code PARAPET_BIND}, default 0.0.0.0)
 * @param port {@code PARAPET_PORT}, default 8000; 0 picks a free port (tests)
 * @param headTimeoutMs how long a request head may take to arrive once it has started
 * @param minBodyBytesPerSecond the slowest a request body may arrive on average, once its grace
 *     period is over ({@code PARAPET_MIN_BODY_RATE}; 0 turns the check off)
 * @param maxBufferedBodyBytes request bodies held at once, gateway-wide ({@code
 *     PARAPET_MAX_BUFFERED_BODY_BYTES}, default 256 MiB; at least the body limit): past it, new
 *     bodies wait unread for their turn
 * @param bodyTimeoutMs how long a request body may take, from its head to its last byte ({@code
 *     PARAPET_BODY_TIMEOUT_MS}, default 120 s): the minimum rate alone would let a 4 MiB body hold
 *     its reservation in the body budget for over an hour
 * @param shutdownDelayMs how long a stop keeps the listener open first, answering health 503
 *     {@code draining} and closing every connection after its answer ({@code
 *     PARAPET_SHUTDOWN_DELAY_MS}, default 0): the time a load balancer needs to notice and stop
 *     sending new connections, before they would be refused
 * @param bodyRateGraceMs how long a request body may arrive at any rate before {@code
 *     minBodyBytesPerSecond} applies (5 s: a slow start, TLS offload or a busy client, is not
 *     punished). Not read from the environment: a seam for tests, which cannot wait 5 s per case
 */
public record Settings(
    String bind,
    int port,
    Path dataDir,
    int maxBodyBytes,
    long shutdownGraceMs,
    int maxConnections,
    long idleTimeoutMs,
    int workerThreads,
    long headTimeoutMs,
    long minBodyBytesPerSecond,
    long maxBufferedBodyBytes,
    long bodyTimeoutMs,
    long shutdownDelayMs,
    long bodyRateGraceMs) {

  public static final String BOOTSTRAP_STATE = "PARAPET_BOOTSTRAP_STATE";
  public static final String MASTER_KEY = "PARAPET_MASTER_KEY";
  /** The most {@code PARAPET_MAX_CONNECTIONS} may allow. */
  public static final int MAX_CONNECTIONS_LIMIT = 1_000_000;
  private static final Set<String> LOG_FORMATS = Set.of("text", "json");
  private static final Set<String> LOG_LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  /** Defaults for everything; tests start from here. */
  public static Settings defaults() {
    return new Settings("0.0.0.0", 8000, Path.of("./parapet-data"), 4 << 20, 30_000, 10_000, 60_000,
        Runtime.getRuntime().availableProcessors(), 10_000, 1024, 256L << 20, 120_000, 0, 5_000);
  }

  public Settings withMaxBufferedBodyBytes(long bytes) {
    return new Settings(bind, port, dataDir, maxBodyBytes, shutdownGraceMs, maxConnections,
        idleTimeoutMs, workerThreads, headTimeoutMs, minBodyBytesPerSecond, bytes, bodyTimeoutMs, shutdownDelayMs, bodyRateGraceMs);
  }

  public Settings withPort(int newPort) {
    return new Settings(bind, newPort, dataDir, maxBodyBytes, shutdownGraceMs, maxConnections,
        idleTimeoutMs, workerThreads, headTimeoutMs, minBodyBytesPerSecond, maxBufferedBodyBytes,
        bodyTimeoutMs, shutdownDelayMs, bodyRateGraceMs);
  }

  public Settings withBind(String newBind) {
    return new Settings(newBind, port, dataDir, maxBodyBytes, shutdownGraceMs, maxConnections,
        idleTimeoutMs, workerThreads, headTimeoutMs, minBodyBytesPerSecond, maxBufferedBodyBytes,
        bodyTimeoutMs, shutdownDelayMs, bodyRateGraceMs);
  }

  public Settings withMaxBodyBytes(int bytes) {
    return new Settings(bind, port, dataDir, bytes, shutdownGraceMs, maxConnections,
        idleTimeoutMs, workerThreads, headTimeoutMs, minBodyBytesPerSecond, maxBufferedBodyBytes,
        bodyTimeoutMs, shutdownDelayMs, bodyRateGraceMs);
  }

  public Settings withTimeouts(long idleMs, long headMs, long graceMs) {
    return new Settings(bind, port, dataDir, maxBodyBytes, graceMs, maxConnections,
        idleMs, workerThreads, headMs, minBodyBytesPerSecond, maxBufferedBodyBytes,
        bodyTimeoutMs, shutdownDelayMs, bodyRateGraceMs);
  }

  public Settings withShutdownDelayMs(long delayMs) {
    return new Settings(bind, port, dataDir, maxBodyBytes, shutdownGraceMs, maxConnections,
        idleTimeoutMs, workerThreads, headTimeoutMs, minBodyBytesPerSecond, maxBufferedBodyBytes,
        bodyTimeoutMs, delayMs, bodyRateGraceMs);
  }

  public Settings withBodyTimeoutMs(long ms) {
    return new Settings(bind, port, dataDir, maxBodyBytes, shutdownGraceMs, maxConnections,
        idleTimeoutMs, workerThreads, headTimeoutMs, minBodyBytesPerSecond, maxBufferedBodyBytes,
        ms, shutdownDelayMs, bodyRateGraceMs);
  }

  public Settings withMinBodyRate(long bytesPerSecond) {
    return new Settings(bind, port, dataDir, maxBodyBytes, shutdownGraceMs, maxConnections,
        idleTimeoutMs, workerThreads, headTimeoutMs, bytesPerSecond, maxBufferedBodyBytes, bodyTimeoutMs, shutdownDelayMs, bodyRateGraceMs);
  }

  /** Tests only: there is no variable for it. */
  public Settings withBodyRateGraceMs(long ms) {
    return new Settings(bind, port, dataDir, maxBodyBytes, shutdownGraceMs, maxConnections,
        idleTimeoutMs, workerThreads, headTimeoutMs, minBodyBytesPerSecond, maxBufferedBodyBytes,
        bodyTimeoutMs, shutdownDelayMs, ms);
  }

  public Settings withMaxConnections(int max) {
    return new Settings(bind, port, dataDir, maxBodyBytes, shutdownGraceMs, max,
        idleTimeoutMs, workerThreads, headTimeoutMs, minBodyBytesPerSecond, maxBufferedBodyBytes,
        bodyTimeoutMs, shutdownDelayMs, bodyRateGraceMs);
  }

  /** Reads every knob; the first bad one is the error. Required variables are checked first. */
  public static Settings fromEnv(Map<String, String> env) throws BootException {
    required(env, BOOTSTRAP_STATE);
    required(env, MASTER_KEY);
    Settings d = defaults();
    String bind = env.getOrDefault("PARAPET_BIND", d.bind());
    if (bind.isEmpty() || !bind.matches("[A-Za-z0-9.:\\-\\[\\]%]{1,253}")) {
      throw bad("PARAPET_BIND", bind, "an IP address or host name");
    }
    int port = (int) IntegerKnob.read(env, "PARAPET_PORT", d.port(), 0, 65_535);
    Path dataDir;
    String dir = env.getOrDefault("PARAPET_DATA_DIR", d.dataDir().toString());
    try {
      if (dir.isEmpty()) {
        throw new InvalidPathException(dir, "empty");
      }
      dataDir = Path.of(dir);
    } catch (InvalidPathException e) {
      throw bad("PARAPET_DATA_DIR", dir, "a directory path");
    }
    int maxBody = (int) IntegerKnob.read(env, "PARAPET_MAX_BODY_BYTES", d.maxBodyBytes(), 1, 256L << 20);
    long grace = IntegerKnob.read(env, "PARAPET_SHUTDOWN_GRACE_MS", d.shutdownGraceMs(), 0, 3_600_000);
    int maxConn = (int) IntegerKnob.read(env, "PARAPET_MAX_CONNECTIONS", d.maxConnections(), 1, MAX_CONNECTIONS_LIMIT);
    long idle = IntegerKnob.read(env, "PARAPET_IDLE_TIMEOUT_MS", d.idleTimeoutMs(), 1, 86_400_000);
    int workers = (int) IntegerKnob.read(env, "PARAPET_WORKER_THREADS", d.workerThreads(), 1, 1024);
    long head = IntegerKnob.read(env, "PARAPET_HEAD_TIMEOUT_MS", d.headTimeoutMs(), 1, 3_600_000);
    long minBodyRate =
        IntegerKnob.read(env, "PARAPET_MIN_BODY_RATE", d.minBodyBytesPerSecond(), 0, 1_000_000_000);
    long buffered = IntegerKnob.read(env, "PARAPET_MAX_BUFFERED_BODY_BYTES",
        Math.max(d.maxBufferedBodyBytes(), maxBody), maxBody, 8L << 30);
    long bodyTimeout = IntegerKnob.read(env, "PARAPET_BODY_TIMEOUT_MS", d.bodyTimeoutMs(), 1, 3_600_000);
    long delay = IntegerKnob.read(env, "PARAPET_SHUTDOWN_DELAY_MS", d.shutdownDelayMs(), 0, 600_000);
    oneOf(env, "PARAPET_LOG_FORMAT", LOG_FORMATS, false);
    oneOf(env, "PARAPET_LOG_LEVEL", LOG_LEVELS, true);
    return new Settings(
        bind, port, dataDir, maxBody, grace, maxConn, idle, workers, head, minBodyRate, buffered, bodyTimeout,
        delay, d.bodyRateGraceMs());
  }

  private static void required(Map<String, String> env, String name) throws BootException {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new BootException(name + ": required (not set)");
    }
  }

  private static void oneOf(Map<String, String> env, String name, Set<String> allowed, boolean upper)
      throws BootException {
    String v = env.get(name);
    if (v == null) {
      return;
    }
    String norm = upper ? v.toUpperCase(Locale.ROOT) : v;
    if (!allowed.contains(norm)) {
      throw bad(name, v, "one of " + String.join(", ", allowed.stream().sorted().toList()));
    }
  }

  private static BootException bad(String name, String value, String expected) {
    return new BootException(name + ": " + Quoting.quote(value) + " (expected: " + expected + ")");
  }
}
