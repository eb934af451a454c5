package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.core.budget.Cost;
import dev.parapet.runtime.boot.Boot;
import dev.parapet.runtime.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A call whose budget hold is taken just before midnight UTC and which ends after it: its spend
 * goes to the day of its hold (BudgetLedger), so its telemetry row must be counted on that day
 * too, or a day's rows no longer add up to the spend its caps were charged (docs/telemetry.md).
 */
class MidnightRowDayTest {
  @TempDir Path tmp;

  /** The budget's clock stands a moment before midnight of a day that is not today. */
  private static final Instant BEFORE_MIDNIGHT = Instant.parse("2026-01-15T23:59:59.900Z");
  private static final LocalDate HOLD_DAY = LocalDate.of(2026, 1, 15);

  @Test
  void aCallThatEndsAfterMidnightIsCountedOnTheDayItWasCharged() throws Exception {
    assertTrue(!LocalDate.now(ZoneOffset.UTC).equals(HOLD_DAY), "the premise: the call ends on another day");
    long spend;
    long rowsCost;
    try (TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9"))) {
      fx.gateway = Boot.start(fx.env, Wiring.production(fx.env, Clock.fixed(BEFORE_MIDNIGHT, ZoneOffset.UTC)));
      HttpResponse<String> r = fx.call(TestConfigs.TOKEN_A, "summarizer", "hello across midnight");
      assertEquals(200, r.statusCode(), r.body());
      fx.gateway.close(); // drains: the settlement and the row are committed
      fx.gateway = null;
      try (Connection c = fx.openStoreWithKey()) {
        spend = single(c, "SELECT COALESCE(SUM(nano_usd), 0) FROM spend_day"
            + " WHERE day = '" + HOLD_DAY + "' AND scope = 'route' AND name = 'summarizer'");
        rowsCost = single(c, "SELECT COALESCE(SUM(cost_nano), 0) FROM journal"
            + " WHERE kind = 'request' AND day = '" + HOLD_DAY + "' AND route = 'summarizer'");
      }
      assertTrue(spend > 0, "the premise: the call was charged to the day of its hold");
      assertEquals(spend, rowsCost, "the day's rows against the spend its caps were charged");

      fx.boot(); // and what an operator reads for that day says the same
      JsonNode usage = fx.adminJson("/_parapet/usage?from=" + HOLD_DAY + "&to=" + HOLD_DAY + "&group_by=route");
      assertEquals(1, usage.get("groups").size(), usage.toString());
      assertEquals(Cost.toUsd(spend).toPlainString(), usage.get("groups").get(0).get("cost_usd").asText());
    }
  }

  private static long single(Connection c, String sql) throws Exception {
    try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
