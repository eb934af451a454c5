package dev.parapet.core.store;

import dev.parapet.core.budget.Cost;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles holds left open by a dead process at their worst case (fail closed: the provider may
 * have charged them). Each becomes spend, loses its row and leaves a {@code hold_recovered} event
 * in the chain, all in the writer's transaction.
 */
final class HoldRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(HoldRecovery.class);

  private HoldRecovery() {}

  static List<HoldRecord> run(Connection c, Mac mac, ChainState chain) throws SQLException {
    List<HoldRecord> holds = LedgerTables.openHolds(c);
    if (holds.isEmpty()) {
      return holds;
    }
    Instant now = Instant.now();
    try (StatementCache sql = new StatementCache(c)) {
      for (HoldRecord h : holds) {
        LedgerTables.addSpend(sql, h.day(), h.route(), h.tenant(), h.worstCaseNanoUsd());
        LedgerTables.deleteHold(sql, h.holdId());
        chain.append(
            sql.get(JournalEntry.INSERT),
            mac,
            JournalEntry.of(
                new EventRecord(
                    now, h.holdId(), EventKind.HOLD_RECOVERED, h.tenant(), Optional.empty(),
                    Optional.of(h.route()),
                    Map.of(
                        "worst_case_usd", Cost.toUsdText(h.worstCaseNanoUsd()),
                        "day", h.day().toString()))));
      }
      chain.writeHead(sql, mac);
    }
    LOG.warn(
        "telemetry store: settled {} holds left open by the last run at their worst case",
        holds.size());
    return List.copyOf(holds);
  }
}
