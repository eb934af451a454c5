package dev.parapet.core.seal;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.config.User;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one byte-exact form of a {@link HydratedConfig}: the plaintext of the sealed blob and the
 * input of {@code config_sha256}. The same config always gives the same bytes, whatever order the
 * spec listed things in, so the checksum proves which config runs.
 *
 * <p>Rules: UTF-8 JSON (RFC 8259) with no insignificant whitespace; object keys sorted by code
 * unit; names as in {@code parapet.yaml} (snake_case); enums in their YAML spelling; decimals as
 * {@code BigDecimal.stripTrailingZeros().toPlainString()}; lists that are sets in meaning
 * (tenants, routes, services, users by name; allowed_routes; patterns; allowed_response_models)
 * sorted; {@code Optional}s and an empty {@code allowed_response_models} omitted. Secrets sit in a
 * top-level {@code secrets} object: provider keys as strings (the blob is encrypted), token
 * digests and password hashes as produced by {@link TokenDigest} and {@link PasswordHash}.
 *
 * <p>Provider keys pass through {@code String}s here, which cannot be zeroed; the byte arrays this
 * class returns can and should be, and {@link Sealer} does.
 */
public final class CanonicalJson {
  private static final JsonFactory JSON = new JsonFactory();
  static final int MAX_DECIMAL_DIGITS = 30;

  private CanonicalJson() {}

  /** Canonical UTF-8 bytes of {@code config}. The caller should zero them when done. */
  public static byte[] write(HydratedConfig config) {
    Map<String, Object> root = new TreeMap<>();
    root.put("version", config.spec().version());
    root.put("tenants", sorted(config.spec().tenants(), Tenant::name, CanonicalJson::tenant));
    root.put("routes", sorted(config.spec().routes(), Route::name, CanonicalJson::route));
    root.put("services", sorted(config.spec().services(), Service::label, CanonicalJson::service));
    root.put("users", sorted(config.spec().users(), User::username, CanonicalJson::user));
    Map<String, Object> secrets = new TreeMap<>();
    Map<String, Object> keys = new TreeMap<>();
    config.providerKeys().forEach((ref, value) -> keys.put(ref, value.reveal()));
    secrets.put("provider_keys", keys);
    secrets.put("service_token_digests", new TreeMap<>(config.serviceTokenDigests()));
    secrets.put("password_hashes", new TreeMap<>(config.passwordHashes()));
    root.put("secrets", secrets);
    return emit(root);
  }

  /**
   * Parses canonical bytes back into a config. Strict: unknown fields, missing fields, wrong
   * types, duplicate keys and secrets that do not match the spec's refs are refused; the config
   * records' own validation runs too. Messages name the path, never a value.
   *
   * @throws SealException with reason {@link SealException.Reason#INVALID_CONFIG}
   */
  public static HydratedConfig read(byte[] canonical) throws SealException {
    return ConfigJsonReader.read(canonical);
  }

  /**
   * Initialises the reader's JSON mapper now, if nothing has yet: Jackson's class initialisation
   * (its default date format's calendar and locale data among it) is a sixth of a 100-route blob's
   * open on a cold JVM. Boot calls this on a second thread while the blob is decrypted; a call to
   * {@link #read} meanwhile waits for it (class initialisation runs once, under the JVM's lock).
   * Never throws: a failure is left to {@link #read}, which meets it again.
   */
  public static void loadReader() {
    try {
      ConfigJsonReader.load();
    } catch (RuntimeException | LinkageError e) {
      // Left to the first read.
    }
  }

  /** Lower-case hex SHA-256 of {@code canonical}: the {@code config_sha256}. */
  public static String sha256Hex(byte[] canonical) {
    return HexFormat.of().formatHex(TokenDigest.sha256().digest(canonical));
  }

  private static Map<String, Object> tenant(Tenant t) {
    Map<String, Object> m = new TreeMap<>();
    m.put("name", t.name());
    t.dailyUsdCap().ifPresent(cap -> m.put("spend", Map.of("daily_usd_cap", cap)));
    t.notes().ifPresent(n -> m.put("notes", n));
    return m;
  }

  private static Map<String, Object> route(Route r) {
    ProviderSpec p = r.provider();
    Map<String, Object> provider = new TreeMap<>();
    provider.put("type", p.type().yamlName());
    provider.put("model", p.model());
    p.providerKeyRef().ifPresent(ref -> provider.put("provider_key_ref", ref));
    p.baseUrl().ifPresent(u -> provider.put("base_url", u.toString()));
    if (!p.allowedResponseModels().isEmpty()) {
      provider.put("allowed_response_models", sortedStrings(p.allowedResponseModels()));
    }
    p.pricing().ifPresent(pr -> provider.put("pricing", pricing(pr)));
    provider.put("timeout_ms", p.timeoutMs());

    var policy = r.policy();
    Map<String, Object> redaction = new TreeMap<>();
    redaction.put("mode", policy.redaction().mode().yamlName());
    redaction.put("patterns", sortedStrings(
        policy.redaction().patterns().stream().map(RedactionPattern::name).toList()));
    redaction.put("scan_output", policy.redaction().scanOutput());
    Map<String, Object> pol = new TreeMap<>();
    pol.put("max_tokens_in", policy.maxTokensIn());
    pol.put("max_tokens_out", policy.maxTokensOut());
    pol.put("budget_daily_usd", policy.budgetDailyUsd());
    pol.put("drift_strict", policy.driftStrict());
    pol.put("redaction", redaction);

    Map<String, Object> m = new TreeMap<>();
    m.put("name", r.name());
    m.put("tenant", r.tenant());
    m.put("provider", provider);
    m.put("policy", pol);
    return m;
  }

  private static Map<String, Object> pricing(Pricing pr) {
    Map<String, Object> m = new TreeMap<>();
    m.put("input_per_1m_usd", pr.inputPer1mUsd());
    m.put("output_per_1m_usd", pr.outputPer1mUsd());
    return m;
  }

  private static Map<String, Object> service(Service s) {
    Map<String, Object> m = new TreeMap<>();
    m.put("label", s.label());
    m.put("tenant", s.tenant());
    m.put("allowed_routes", sortedStrings(s.allowedRoutes()));
    m.put("parapet_token_ref", s.parapetTokenRef());
    return m;
  }

  private static Map<String, Object> user(User u) {
    Map<String, Object> m = new TreeMap<>();
    m.put("username", u.username());
    m.put("role", u.role().yamlName());
    m.put("password_ref", u.passwordRef());
    return m;
  }

  private static <T> List<Object> sorted(
      List<T> items, java.util.function.Function<T, String> key,
      java.util.function.Function<T, Map<String, Object>> toJson) {
    List<T> copy = new ArrayList<>(items);
    copy.sort(Comparator.comparing(key));
    return new ArrayList<>(copy.stream().map(toJson).toList());
  }

  private static List<Object> sortedStrings(List<String> items) {
    List<String> copy = new ArrayList<>(items);
    copy.sort(Comparator.naturalOrder());
    return new ArrayList<>(copy);
  }

  private static byte[] emit(Object root) {
    ZeroingBuffer out = new ZeroingBuffer();
    try (JsonGenerator gen = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      value(gen, root);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory cannot fail", e);
    }
    return out.takeAndZero();
  }

  @SuppressWarnings("unchecked")
  private static void value(JsonGenerator gen, Object v) throws IOException {
    if (v instanceof Map<?, ?> map) {
      gen.writeStartObject();
      for (var e : new TreeMap<>((Map<String, Object>) map).entrySet()) {
        gen.writeFieldName(e.getKey());
        value(gen, e.getValue());
      }
      gen.writeEndObject();
    } else if (v instanceof List<?> list) {
      gen.writeStartArray();
      for (Object item : list) {
        value(gen, item);
      }
      gen.writeEndArray();
    } else if (v instanceof String s) {
      gen.writeString(s);
    } else if (v instanceof Boolean b) {
      gen.writeBoolean(b);
    } else if (v instanceof Integer i) {
      gen.writeNumber(i);
    } else if (v instanceof BigDecimal d) {
      gen.writeNumber(decimal(d));
    } else {
      throw new IllegalStateException("no canonical form for " + v.getClass().getSimpleName());
    }
  }

  /** The canonical text of a decimal: no exponent, no trailing zeros ({@code 2.5}, {@code 500}). */
  static String decimal(BigDecimal d) {
    if (d.signum() == 0) {
      return "0";
    }
    BigDecimal s = d.stripTrailingZeros();
    // toPlainString of 1E+999999999 would allocate a gigabyte; no USD figure is that long.
    if (s.scale() > MAX_DECIMAL_DIGITS || s.precision() - s.scale() > MAX_DECIMAL_DIGITS) {
      throw new IllegalArgumentException(
          "decimal " + s + " out of range (expected at most " + MAX_DECIMAL_DIGITS
              + " digits before and after the point)");
    }
    return s.toPlainString();
  }

  /** A byte buffer whose internal array is zeroed once its content has been taken. */
  private static final class ZeroingBuffer extends ByteArrayOutputStream {
    ZeroingBuffer() {
      super(4096);
    }

    byte[] takeAndZero() {
      byte[] out = toByteArray();
      Arrays.fill(buf, (byte) 0);
      return out;
    }
  }
}
