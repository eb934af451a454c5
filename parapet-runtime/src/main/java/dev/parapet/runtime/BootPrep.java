package dev.parapet.runtime;

import dev.parapet.core.seal.CanonicalJson;
import dev.parapet.core.store.TelemetryStore;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;

/**
 * Boot work that does not depend on the blob, done on a second thread while the main thread
 * decrypts and checks it: initialising the blob reader's JSON mapper (Jackson's classes, needed
 * first), then logging (Logback reading {@code logback.xml}), loading
 * SQLite's native library, then initialising what the metrics and the listener need first (the
 * JVM's management beans, Netty's platform probes, allocator and epoll library, the Prometheus
 * registry's classes). Each is a process-wide, thread-safe initialisation (class initialisers run
 * once, under the JVM's lock) that the main thread would otherwise do itself at its first use; this
 * only starts it earlier, and the main thread waits for whatever is still in progress. A failure here
 * changes nothing: the main thread meets it again where it always did and reports it the same way
 * (one line, exit 1, no port). The main thread must not touch SLF4J before {@link #awaitLogging}
 * returns: a logger asked for during SLF4J's initialisation is a substitute whose early events are
 * replayed with a warning on stderr.
 */
final class BootPrep {
  private final CountDownLatch logging = new CountDownLatch(1);
  // The last one started: Main waits on it before it touches SLF4J to flush on the way out.
  private static volatile BootPrep latest;

  private BootPrep() {}

  static BootPrep start() {
    BootPrep prep = new BootPrep();
    latest = prep;
    Thread t = new Thread(prep::run, "parapet-boot-prep");
    t.setDaemon(true);
    t.start();
    return prep;
  }

  private void run() {
    CanonicalJson.loadReader(); // never throws; first: the blob's open needs it soonest
    try {
      LoggerFactory.getILoggerFactory();
    } catch (RuntimeException | LinkageError e) {
      // The main thread's first logger meets the same failure.
    } finally {
      logging.countDown();
    }
    TelemetryStore.loadNativeLibrary(); // never throws
    quietly(() -> {
      ManagementFactory.getMemoryPoolMXBeans();
      ManagementFactory.getGarbageCollectorMXBeans();
      ManagementFactory.getOperatingSystemMXBean();
      ManagementFactory.getThreadMXBean();
      ManagementFactory.getClassLoadingMXBean();
      ManagementFactory.getRuntimeMXBean();
    });
    for (String c : List.of(
        "io.netty.buffer.ByteBufAllocator",
        "io.netty.channel.epoll.Epoll",
        "io.micrometer.prometheusmetrics.PrometheusMeterRegistry")) {
      quietly(() -> Class.forName(c, true, BootPrep.class.getClassLoader()));
    }
  }

  private interface Step {
    void run() throws Exception;
  }

  private static void quietly(Step step) {
    try {
      step.run();
    } catch (Exception | LinkageError e) {
      // Only a head start: the main thread does this again at first use and meets any failure.
    }
  }

  /** {@link #awaitLogging} of the last one started, if any. */
  static void awaitLoggingIfStarted() {
    BootPrep prep = latest;
    if (prep != null) {
      prep.awaitLogging();
    }
  }

  /** Returns once logging is initialised (or its initialisation failed). */
  void awaitLogging() {
    boolean interrupted = false;
    while (true) {
      try {
        logging.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
