package dev.parapet.core.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import javax.crypto.Mac;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work that must run on the writer thread but is not a queued record: hold recovery, retention.
 * Each runs in its own transaction; its caller waits on {@code done}.
 */
record MaintenanceTask<T>(MaintenanceTask.Body<T> body, CompletableFuture<T> done) {
  private static final Logger LOG = LoggerFactory.getLogger(StoreWriter.class);

  /** The work, given the writer's connection, MAC and a copy of the chain state to extend. */
  @FunctionalInterface
  interface Body<T> {
    T run(Connection c, Mac mac, ChainState chain) throws SQLException;
  }

  /** Runs and commits; on failure rolls back and fails {@code done}. True if committed. */
  boolean runIn(Connection c, Mac mac, ChainState chain) {
    try {
      T result = body.run(c, mac, chain);
      c.commit();
      done.complete(result);
      return true;
    } catch (SQLException | RuntimeException e) {
      try {
        c.rollback();
      } catch (SQLException ignored) {
        // the connection is already failing; the next batch reports it
      }
      LOG.error("telemetry store: maintenance write failed: {}", e.getMessage());
      done.completeExceptionally(new StoreException("store write failed: " + e.getMessage(), e));
      return false;
    }
  }
}
