package dev.parapet.core.store;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One record per request (SPEC §4 "Telemetry"). There is deliberately no field that could hold a
 * prompt, an answer, a token, a password or a key: names, ids, counts, a status and short codes.
 * Money is nano-USD (1e-9 USD).
 *
 * @param notes enforcement notes such as {@code redacted:EMAIL=2}; sanitised to a narrow alphabet
 * @param day the UTC day the row counts on: the day whose caps the call was charged to (its budget
 *     hold's, which is the day before {@code time} for a call that ran past midnight), else the
 *     day of {@code time}
 */
public record RequestRecord(
    Instant time,
    String requestId,
    String tenant,
    String service,
    String route,
    String provider,
    String modelAsked,
    Optional<String> modelReported,
    long tokensIn,
    long tokensOut,
    long costNanoUsd,
    long latencyMicros,
    int status,
    Optional<String> errorCode,
    List<String> notes,
    LocalDate day) {

  public RequestRecord {
    Objects.requireNonNull(time, "time");
    RecordFields.name("requestId", requestId);
    RecordFields.name("tenant", tenant);
    RecordFields.name("service", service);
    RecordFields.name("route", route);
    RecordFields.name("provider", provider);
    RecordFields.name("modelAsked", modelAsked);
    RecordFields.optionalName("modelReported", modelReported);
    RecordFields.nonNegative("tokensIn", tokensIn);
    RecordFields.nonNegative("tokensOut", tokensOut);
    RecordFields.nonNegative("costNanoUsd", costNanoUsd);
    RecordFields.nonNegative("latencyMicros", latencyMicros);
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status: " + status + " (expected: 100 to 599)");
    }
    RecordFields.code("errorCode", errorCode);
    notes = RecordFields.notes(notes);
    Objects.requireNonNull(day, "day");
  }

  /** A row that counts on the UTC day of {@code time}. */
  public RequestRecord(
      Instant time, String requestId, String tenant, String service, String route, String provider,
      String modelAsked, Optional<String> modelReported, long tokensIn, long tokensOut, long costNanoUsd,
      long latencyMicros, int status, Optional<String> errorCode, List<String> notes) {
    this(time, requestId, tenant, service, route, provider, modelAsked, modelReported, tokensIn, tokensOut,
        costNanoUsd, latencyMicros, status, errorCode, notes, utcDay(Objects.requireNonNull(time, "time")));
  }

  /** The UTC calendar day of {@code time}. */
  public static LocalDate utcDay(Instant time) {
    return LocalDate.ofInstant(time, ZoneOffset.UTC);
  }

  /**
   * Whether this request counts as blocked in usage figures: a refusal by policy, that is status
   * >= 400 with one of the policy refusal codes route_forbidden, model_not_allowed,
   * max_tokens_in_exceeded, budget_exceeded, redaction_blocked, model_drift. Malformed requests,
   * bad tokens and upstream failures are not policy decisions and do not count.
   */
  public boolean blocked() {
    return status >= 400 && errorCode.map(UsageQueries.BLOCKING_CODES::contains).orElse(false);
  }
}
