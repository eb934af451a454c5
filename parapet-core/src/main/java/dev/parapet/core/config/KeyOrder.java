package dev.parapet.core.config;

import java.util.List;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * Where a filled-in key goes: before the first existing key that comes after it in the
 * canonical spec order, so a filled {@code version} lands at the top and a filled {@code
 * budget_daily_usd} next to the token limits, not at the end of the file.
 */
final class KeyOrder {
  private static final List<String> CANONICAL =
      List.of(
          "version", "tenants", "routes", "services", "users",
          "name", "label", "username", "tenant", "spend", "daily_usd_cap", "notes",
          "provider", "type", "model", "provider_key_ref", "base_url", "allowed_response_models",
          "pricing", "input_per_1m_usd", "output_per_1m_usd", "timeout_ms",
          "policy", "max_tokens_in", "max_tokens_out", "budget_daily_usd", "drift_strict",
          "redaction", "mode", "patterns", "scan_output",
          "allowed_routes", "parapet_token_ref", "role", "password_ref");

  private KeyOrder() {}

  static int insertionPoint(List<NodeTuple> entries, String key) {
    int rank = CANONICAL.indexOf(key);
    if (rank < 0) {
      return entries.size();
    }
    for (int i = 0; i < entries.size(); i++) {
      int other = CANONICAL.indexOf(NodeText.keyText(entries.get(i).getKeyNode()));
      if (other > rank) {
        return i;
      }
    }
    return entries.size();
  }
}
