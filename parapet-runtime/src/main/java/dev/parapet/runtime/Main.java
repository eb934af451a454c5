package dev.parapet.runtime;

import ch.qos.logback.classic.LoggerContext;
import dev.parapet.runtime.boot.Boot;
import dev.parapet.runtime.boot.BootException;
import dev.parapet.runtime.telemetry.StoreVerification;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar parapet-runtime.jar}: boots from the environment and serves until SIGTERM
 * (or SIGINT), then drains in-flight requests and exits 0, or 1 with one line on stderr when the
 * telemetry store closed with ledger items or rows it could not write ({@link #stop}). Any boot
 * failure is one line on stderr, {@code parapet: <reason>}, and exit code 1, with no port opened.
 *
 * <p>{@code java -jar parapet-runtime.jar verify-store} checks the telemetry store's hash chain
 * instead of serving (see {@link StoreVerification}): exit 0 intact, 1 broken or not checkable.
 * {@code java -jar parapet-runtime.jar show-request <request-id>} prints that call's telemetry row
 * as JSON (exit 0; 1 when there is none).
 *
 * <p>{@code java -XX:ArchiveClassesAtExit=parapet.jsa -jar parapet-runtime.jar train-cds} boots an
 * offline throwaway gateway, calls it and stops, so that the JVM writes a class-data archive for
 * later boots to start from ({@link CdsTraining}); it reads no environment.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals("verify-store")) {
      System.exit(StoreVerification.run(System.getenv(), System.out, System.err));
    }
    if (args.length == 2 && args[0].equals("show-request")) {
      System.exit(StoreVerification.showRequest(args[1], System.getenv(), System.out, System.err));
    }
    if (args.length == 1 && args[0].equals("train-cds")) {
      int code = CdsTraining.run(System.out, System.err);
      flushLogs();
      System.exit(code); // a normal exit: the JVM writes the archive now
    }
    if (args.length > 0) {
      System.err.println("parapet: usage: java -jar parapet-runtime.jar [verify-store | show-request <request-id> | train-cds]");
      System.exit(2);
    }
    int code = run(System.getenv(), System.err);
    if (code != 0) {
      flushLogs();
      System.exit(code);
    }
  }

  /** Writes out the lines the asynchronous appender still holds (logback.xml); idempotent. */
  static void flushLogs() {
    // Not while BootPrep may still be initialising SLF4J on its thread: a second thread asking
    // for the factory then gets a substitute, and SLF4J warns on stderr (one line per failure).
    BootPrep.awaitLoggingIfStarted();
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logging) {
      logging.stop();
    }
  }

  /**
   * Boots, then blocks until the JVM is asked to stop; returns the exit code (1 on a boot
   * failure, which returns at once).
   */
  static int run(Map<String, String> env, PrintStream err) {
    Gateway gateway;
    try {
      gateway = Boot.start(env, Wiring.production(env));
    } catch (BootException e) {
      err.println("parapet: " + e.getMessage());
      return 1;
    } catch (RuntimeException | LinkageError e) {
      err.println("parapet: boot failed (" + e.getClass().getSimpleName() + ")");
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      int code = stop(gateway, err); // stop accepting, drain within the grace period, close
      stopped.countDown();
      flushLogs(); // halt skips every other hook: write out the queued log lines first
      // A clean drain is a clean exit: 0, not the 143 the JVM reports for SIGTERM.
      Runtime.getRuntime().halt(code);
    }, "parapet-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /**
   * Closes {@code gateway} (drain, then the store) and returns the exit status: 0, or 1 with one
   * line on {@code err} when the store closed with ledger items or rows unwritten: spend a
   * supervisor must hear of (a settlement lost is a hold the next boot settles at its worst case),
   * not only the log. A drain the grace period cut short stays 0 (see {@link Gateway#shutdown}).
   */
  static int stop(Gateway gateway, PrintStream err) {
    long unwritten = gateway.shutdown();
    if (unwritten == 0) {
      return 0;
    }
    err.println("parapet: stopped with " + unwritten
        + " ledger item(s) or row(s) not written to the telemetry store");
    return 1;
  }
}
