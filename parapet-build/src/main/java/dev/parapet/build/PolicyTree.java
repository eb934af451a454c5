package dev.parapet.build;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.seal.CanonicalJson;
import dev.parapet.core.seal.HydratedConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The policy part of a sealed config as a JSON tree, and the differences between two of them.
 *
 * <p>Built from the same canonical JSON the checksum covers, so every field that can change the
 * checksum is compared — including ones added later — without this class knowing them. Lists of
 * named things become objects keyed by name ({@code routes.summarizer.policy.budget_daily_usd})
 * so a reordered list is no change and a change reads in the spec's own words. The
 * {@code secrets} subtree is dropped here: secrets are compared elsewhere without their values
 * ever entering a printable tree.
 */
final class PolicyTree {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private static final Map<String, String> KEYS =
      Map.of("tenants", "name", "routes", "name", "services", "label", "users", "username");

  private PolicyTree() {}

  static ObjectNode of(HydratedConfig config) throws CommandFailure {
    byte[] canonical = CanonicalJson.write(config);
    try {
      JsonNode root = JSON.readTree(canonical);
      if (!(root instanceof ObjectNode obj)) {
        throw new CommandFailure("canonical config is not a JSON object");
      }
      obj.remove("secrets");
      KEYS.forEach((list, key) -> {
        if (obj.get(list) instanceof ArrayNode items) {
          ObjectNode byName = JSON.createObjectNode();
          items.forEach(item -> byName.set(item.path(key).asText(), item));
          obj.set(list, byName);
        }
      });
      return obj;
    } catch (IOException e) {
      throw new CommandFailure("cannot read the canonical config: " + e.getClass().getSimpleName());
    } finally {
      Arrays.fill(canonical, (byte) 0);
    }
  }

  /**
   * One line per difference: {@code path: old -> new} for values, {@code + path} / {@code - path}
   * for named entries and fields that appear or disappear.
   */
  static List<String> diff(JsonNode older, JsonNode newer) {
    List<String> out = new ArrayList<>();
    diff("", older, newer, out);
    return out;
  }

  private static void diff(String path, JsonNode a, JsonNode b, List<String> out) {
    if (a.equals(b)) {
      return;
    }
    if (a.isObject() && b.isObject()) {
      List<String> names = new ArrayList<>();
      a.fieldNames().forEachRemaining(names::add);
      for (Iterator<String> it = b.fieldNames(); it.hasNext(); ) {
        String n = it.next();
        if (!a.has(n)) {
          names.add(n);
        }
      }
      names.sort(null);
      for (String n : names) {
        String p = path.isEmpty() ? n : path + "." + n;
        if (!b.has(n)) {
          out.add(isEntry(path) ? "- " + p : p + ": " + show(a.get(n)) + " -> (absent)");
        } else if (!a.has(n)) {
          out.add(isEntry(path) ? "+ " + p : p + ": (absent) -> " + show(b.get(n)));
        } else {
          diff(p, a.get(n), b.get(n), out);
        }
      }
      return;
    }
    if (a.isNumber() && b.isNumber() && a.decimalValue().compareTo(b.decimalValue()) == 0) {
      return;
    }
    out.add(path + ": " + show(a) + " -> " + show(b));
  }

  /** Whether {@code path} is one of the named lists, whose children are whole entries. */
  private static boolean isEntry(String path) {
    return KEYS.containsKey(path);
  }

  private static String show(JsonNode n) {
    if (n.isNumber()) {
      return n.decimalValue().stripTrailingZeros().toPlainString();
    }
    if (n.isTextual()) {
      return n.asText();
    }
    if (n.isArray()) {
      List<String> items = new ArrayList<>();
      n.forEach(i -> items.add(show(i)));
      return "[" + String.join(", ", items) + "]";
    }
    return n.toString();
  }
}
