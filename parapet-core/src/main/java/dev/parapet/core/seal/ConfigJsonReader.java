package dev.parapet.core.seal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Role;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.SpecConsistency;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.config.User;
import dev.parapet.core.seal.SealException.Reason;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The strict reader behind {@link CanonicalJson#read}. Every object is checked for unknown and
 * missing fields; error messages carry a JSON path and the expected shape, never a value, since
 * a value may be a provider key. Jackson's own parse messages quote the input, so they are
 * neither shown nor chained.
 */
final class ConfigJsonReader {
  private static final JsonMapper MAPPER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private ConfigJsonReader() {}

  /** Does nothing; calling it initialises this class, and with it {@link #MAPPER}. */
  static void load() {}

  /** Thrown inside the reader; becomes a {@link SealException} at the edge. */
  private static final class Invalid extends RuntimeException {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  static HydratedConfig read(byte[] canonical) throws SealException {
    JsonNode root;
    try {
      root = MAPPER.readTree(canonical);
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
      throw new SealException(Reason.INVALID_CONFIG, "sealed config is not valid JSON" + where);
    } catch (IOException e) {
      throw new SealException(Reason.INVALID_CONFIG, "sealed config is not valid JSON");
    }
    try {
      return hydrated(new Obj(root, "$"));
    } catch (Invalid e) {
      throw new SealException(Reason.INVALID_CONFIG, "sealed config: " + e.getMessage());
    } catch (IllegalArgumentException | NullPointerException e) {
      // Record validation: messages name the field and a config value (never a secret value:
      // secrets are not validated by the records).
      throw new SealException(Reason.INVALID_CONFIG, "sealed config: " + e.getMessage());
    }
  }

  private static HydratedConfig hydrated(Obj root) {
    int version = root.integer("version");
    List<Tenant> tenants = root.list("tenants", ConfigJsonReader::tenant);
    List<Route> routes = root.list("routes", ConfigJsonReader::route);
    List<Service> services = root.list("services", ConfigJsonReader::service);
    List<User> users = root.list("users", ConfigJsonReader::user);
    Obj secrets = root.obj("secrets");
    Map<String, String> keys = secrets.obj("provider_keys").stringMap();
    Map<String, String> digests = secrets.obj("service_token_digests").stringMap();
    Map<String, String> hashes = secrets.obj("password_hashes").stringMap();
    secrets.done();
    root.done();

    ParapetSpec spec = new ParapetSpec(version, tenants, routes, services, users);
    List<String> inconsistent = SpecConsistency.check(spec);
    if (!inconsistent.isEmpty()) {
      throw new Invalid(String.join("; ", inconsistent));
    }
    Set<String> keyRefs = new TreeSet<>();
    routes.forEach(r -> r.provider().providerKeyRef().ifPresent(keyRefs::add));
    sameNames("$.secrets.provider_keys", keys.keySet(), keyRefs, "provider_key_ref");
    Set<String> labels = new TreeSet<>();
    services.forEach(s -> labels.add(s.label()));
    sameNames("$.secrets.service_token_digests", digests.keySet(), labels, "service");
    Set<String> usernames = new TreeSet<>();
    users.forEach(u -> usernames.add(u.username()));
    sameNames("$.secrets.password_hashes", hashes.keySet(), usernames, "user");
    digests.forEach((label, d) -> {
      if (!TokenDigest.isWellFormed(d)) {
        throw new Invalid("$.secrets.service_token_digests." + label + ": expected sha256:<64 hex>");
      }
    });
    hashes.forEach((name, h) -> {
      if (!PasswordHash.isWellFormed(h)) {
        throw new Invalid("$.secrets.password_hashes." + name + ": expected an Argon2id PHC string");
      }
    });
    Map<String, SecretValue> secretKeys = new LinkedHashMap<>();
    keys.forEach((ref, v) -> secretKeys.put(ref, SecretValue.of(v)));
    return new HydratedConfig(spec, secretKeys, digests, hashes);
  }

  private static void sameNames(String path, Set<String> have, Set<String> want, String what) {
    for (String name : want) {
      if (!have.contains(name)) {
        throw new Invalid(path + ": missing the entry for " + what + " " + name);
      }
    }
    for (String name : have) {
      if (!want.contains(name)) {
        throw new Invalid(path + "." + name + ": no " + what + " uses it");
      }
    }
  }

  private static Tenant tenant(Obj o) {
    String name = o.string("name");
    Optional<BigDecimal> cap = o.optObj("spend").map(s -> {
      BigDecimal d = s.decimal("daily_usd_cap");
      s.done();
      return d;
    });
    Optional<String> notes = o.optString("notes");
    o.done();
    return new Tenant(name, cap, notes);
  }

  private static Route route(Obj o) {
    String name = o.string("name");
    String tenant = o.string("tenant");
    ProviderSpec provider = provider(o.obj("provider"));
    Policy policy = policy(o.obj("policy"));
    o.done();
    return new Route(name, tenant, provider, policy);
  }

  private static ProviderSpec provider(Obj o) {
    ProviderType type = o.enumValue("type", ProviderType::fromYaml);
    String model = o.string("model");
    Optional<String> keyRef = o.optString("provider_key_ref");
    Optional<URI> baseUrl = o.optString("base_url").map(s -> uri(o.path + ".base_url", s));
    List<String> allowed = o.has("allowed_response_models")
        ? o.strings("allowed_response_models") : List.of();
    Optional<Pricing> pricing = o.optObj("pricing").map(p -> {
      Pricing pr = new Pricing(p.decimal("input_per_1m_usd"), p.decimal("output_per_1m_usd"));
      p.done();
      return pr;
    });
    int timeout = o.integer("timeout_ms");
    o.done();
    return new ProviderSpec(type, model, keyRef, baseUrl, allowed, pricing, timeout);
  }

  private static Policy policy(Obj o) {
    int in = o.integer("max_tokens_in");
    int out = o.integer("max_tokens_out");
    BigDecimal budget = o.decimal("budget_daily_usd");
    boolean drift = o.bool("drift_strict");
    Obj r = o.obj("redaction");
    RedactionMode mode = r.enumValue("mode", RedactionMode::fromYaml);
    List<RedactionPattern> patterns = new ArrayList<>();
    List<String> names = r.strings("patterns");
    for (int i = 0; i < names.size(); i++) {
      String path = r.path + ".patterns[" + i + "]";
      patterns.add(RedactionPattern.fromYaml(names.get(i))
          .orElseThrow(() -> new Invalid(path + ": unknown pattern")));
    }
    boolean scan = r.bool("scan_output");
    r.done();
    o.done();
    return new Policy(in, out, budget, drift, new RedactionPolicy(mode, patterns, scan));
  }

  private static Service service(Obj o) {
    Service s = new Service(o.string("label"), o.string("tenant"), o.strings("allowed_routes"),
        o.string("parapet_token_ref"));
    o.done();
    return s;
  }

  private static User user(Obj o) {
    User u = new User(o.string("username"), o.enumValue("role", Role::fromYaml),
        o.string("password_ref"));
    o.done();
    return u;
  }

  private static URI uri(String path, String s) {
    try {
      return new URI(s);
    } catch (URISyntaxException e) {
      throw new Invalid(path + ": not a valid URI");
    }
  }

  /** A JSON object being read: remembers which fields were consumed so leftovers are refused. */
  private static final class Obj {
    final JsonNode node;
    final String path;
    private final Set<String> seen = new HashSet<>();

    Obj(JsonNode node, String path) {
      if (node == null || !node.isObject()) {
        throw new Invalid(path + ": expected an object");
      }
      this.node = node;
      this.path = path;
    }

    boolean has(String field) {
      return node.has(field);
    }

    private JsonNode required(String field, JsonNodeType type, String expected) {
      JsonNode v = node.get(field);
      if (v == null) {
        throw new Invalid(path + "." + field + ": required");
      }
      if (v.getNodeType() != type) {
        throw new Invalid(path + "." + field + ": expected " + expected);
      }
      seen.add(field);
      return v;
    }

    String string(String field) {
      return required(field, JsonNodeType.STRING, "a string").textValue();
    }

    Optional<String> optString(String field) {
      return has(field) ? Optional.of(string(field)) : Optional.empty();
    }

    int integer(String field) {
      JsonNode v = required(field, JsonNodeType.NUMBER, "an integer");
      if (!v.isIntegralNumber() || !v.canConvertToInt()) {
        throw new Invalid(path + "." + field + ": expected an integer");
      }
      return v.intValue();
    }

    BigDecimal decimal(String field) {
      return required(field, JsonNodeType.NUMBER, "a number").decimalValue();
    }

    boolean bool(String field) {
      return required(field, JsonNodeType.BOOLEAN, "true or false").booleanValue();
    }

    <E> E enumValue(String field, Function<String, Optional<E>> parse) {
      String s = string(field);
      return parse.apply(s).orElseThrow(() -> new Invalid(path + "." + field + ": unknown value"));
    }

    Obj obj(String field) {
      return new Obj(required(field, JsonNodeType.OBJECT, "an object"), path + "." + field);
    }

    Optional<Obj> optObj(String field) {
      return has(field) ? Optional.of(obj(field)) : Optional.empty();
    }

    <T> List<T> list(String field, Function<Obj, T> item) {
      JsonNode arr = required(field, JsonNodeType.ARRAY, "an array");
      List<T> out = new ArrayList<>(arr.size());
      for (int i = 0; i < arr.size(); i++) {
        out.add(item.apply(new Obj(arr.get(i), path + "." + field + "[" + i + "]")));
      }
      return out;
    }

    List<String> strings(String field) {
      JsonNode arr = required(field, JsonNodeType.ARRAY, "an array of strings");
      List<String> out = new ArrayList<>(arr.size());
      for (int i = 0; i < arr.size(); i++) {
        if (!arr.get(i).isTextual()) {
          throw new Invalid(path + "." + field + "[" + i + "]: expected a string");
        }
        out.add(arr.get(i).textValue());
      }
      return out;
    }

    /** All fields as strings; the field names are ref names, labels or usernames. */
    Map<String, String> stringMap() {
      Map<String, String> out = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        if (!e.getValue().isTextual()) {
          throw new Invalid(path + "." + e.getKey() + ": expected a string");
        }
        seen.add(e.getKey());
        out.put(e.getKey(), e.getValue().textValue());
      }
      return out;
    }

    void done() {
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        if (!seen.contains(name)) {
          throw new Invalid(path + "." + name + ": unknown field");
        }
      }
    }
  }
}
