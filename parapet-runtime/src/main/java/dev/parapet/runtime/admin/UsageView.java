package dev.parapet.runtime.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.parapet.core.budget.Cost;
import dev.parapet.core.store.GroupBy;
import dev.parapet.core.store.SpendKey;
import dev.parapet.core.store.StoreException;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.core.store.UsageRow;
import dev.parapet.runtime.telemetry.DailyCaps;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code GET /_parapet/usage?from=YYYY-MM-DD&to=YYYY-MM-DD&group_by=tenant|route|service|day}
 * (defaults: today, today, route; at most {@value #MAX_DAYS} days). Answers:
 *
 * <pre>{@code
 * {"from":"2026-11-22","to":"2026-11-22","group_by":"route",
 *  "groups":[{"group":"summarizer","requests":3,"tokens_in":30,"tokens_out":12,
 *             "cost_usd":"0.000042000","blocked":1}],
 *  "today":{"date":"2026-11-22",
 *           "routes":[{"name":"summarizer","cap_usd":"500.000000000",
 *                      "spent_usd":"0.000042000","remaining_usd":"499.999958000"}],
 *           "tenants":[{"name":"prod","cap_usd":null,"spent_usd":"0.000042000","remaining_usd":null}]}}
 * }</pre>
 *
 * <p>Money is always a JSON string holding an exact decimal number of USD with nine decimals
 * (the ledger counts nano-USD): a float would round it. {@code groups} has one entry per group
 * that had requests in the range; {@code today} has every route and tenant of the config with its
 * settled spend today (UTC), its cap and what is left ({@code null} for a tenant without a cap
 * of its own). Runs on the surfaces' executor: the store reads block.
 */
final class UsageView {
  static final Set<String> PARAMS = Set.of("from", "to", "group_by");
  static final int MAX_DAYS = 366;
  private static final JsonFactory JSON = new JsonFactory();

  private final TelemetryStore store;
  private final DailyCaps caps;

  UsageView(TelemetryStore store, DailyCaps caps) {
    this.store = store;
    this.caps = caps;
  }

  byte[] render(QueryParameters q, LocalDate today) throws BadParameter, StoreException {
    LocalDate from = q.date("from").orElse(today);
    LocalDate to = q.date("to").orElse(today);
    if (from.isAfter(to)) {
      throw new BadParameter("from: expected a date on or before to");
    }
    if (ChronoUnit.DAYS.between(from, to) >= MAX_DAYS) {
      throw new BadParameter("to: expected at most " + MAX_DAYS + " days after from");
    }
    GroupBy groupBy = groupBy(q.get("group_by"));
    List<UsageRow> rows = store.usage(from, to, groupBy);
    Map<SpendKey, Long> spent = store.spendForDay(today);
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("from", from.toString());
      g.writeStringField("to", to.toString());
      g.writeStringField("group_by", groupBy.name().toLowerCase(Locale.ROOT));
      g.writeArrayFieldStart("groups");
      for (UsageRow r : rows) {
        g.writeStartObject();
        g.writeStringField("group", r.group());
        g.writeNumberField("requests", r.requests());
        g.writeNumberField("tokens_in", r.tokensIn());
        g.writeNumberField("tokens_out", r.tokensOut());
        g.writeStringField("cost_usd", Cost.toUsdText(r.costNanoUsd()));
        g.writeNumberField("blocked", r.blocked());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeObjectFieldStart("today");
      g.writeStringField("date", today.toString());
      writeCaps(g, "routes", SpendKey.Scope.ROUTE, spent);
      writeCaps(g, "tenants", SpendKey.Scope.TENANT, spent);
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private void writeCaps(JsonGenerator g, String field, SpendKey.Scope scope, Map<SpendKey, Long> spent)
      throws IOException {
    g.writeArrayFieldStart(field);
    for (Map.Entry<SpendKey, Optional<Long>> e : caps.all().entrySet()) {
      if (e.getKey().scope() != scope) {
        continue;
      }
      long s = spent.getOrDefault(e.getKey(), 0L);
      g.writeStartObject();
      g.writeStringField("name", e.getKey().name());
      writeMoney(g, "cap_usd", e.getValue());
      g.writeStringField("spent_usd", Cost.toUsdText(s));
      writeMoney(g, "remaining_usd", e.getValue().map(cap -> DailyCaps.remaining(cap, s)));
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void writeMoney(JsonGenerator g, String field, Optional<Long> nanos) throws IOException {
    if (nanos.isPresent()) {
      g.writeStringField(field, Cost.toUsdText(nanos.get()));
    } else {
      g.writeNullField(field);
    }
  }

  private static GroupBy groupBy(Optional<String> value) throws BadParameter {
    if (value.isEmpty()) {
      return GroupBy.ROUTE;
    }
    return switch (value.get()) {
      case "tenant" -> GroupBy.TENANT;
      case "route" -> GroupBy.ROUTE;
      case "service" -> GroupBy.SERVICE;
      case "day" -> GroupBy.DAY;
      default -> throw new BadParameter("group_by: expected one of tenant, route, service, day");
    };
  }
}
