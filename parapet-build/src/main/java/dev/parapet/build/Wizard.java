package dev.parapet.build;

import dev.parapet.core.config.Names;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Quoting;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The questions of the bootstrap wizard (seed: "Bootstrap / Wizard mode"): one tenant, one route,
 * one service allowed to call it, one admin user. Every default is a working answer, so pressing
 * Enter throughout yields a spec that validates. Answers are checked with the same name shapes as
 * the validator ({@link Names}); the assembled spec is validated again before it is written.
 */
final class Wizard {
  private final Questions q;

  Wizard(Questions questions) {
    this.q = questions;
  }

  StarterSpec run() throws CommandFailure {
    Prompter p = q.prompter();
    p.say("Tenant: an accounting and policy boundary (usually one per environment).");
    String tenant = q.text("Tenant name", "prod", Names.IDENTIFIER);
    Optional<BigDecimal> cap =
        q.ask("Tenant daily spend cap in USD (or 'none')", "1000", Questions::optionalUsd);

    p.say("Route: an LLM capability your services call, pinned to one provider and model.");
    String route = q.text("Route name", "summarizer", Names.IDENTIFIER);
    ProviderType type =
        q.ask("Provider type (openai|anthropic|local|echo)", "openai", Wizard::providerType);
    String model = q.ask("Model id (pin a dated snapshot)", defaultModel(type), Questions::nonEmpty);
    Optional<String> baseUrl = Optional.empty();
    Optional<Pricing> pricing = Optional.empty();
    if (type == ProviderType.LOCAL) {
      baseUrl = Optional.of(q.ask("base_url of the OpenAI-compatible server", "http://127.0.0.1:11434/v1", Wizard::httpUrl));
      BigDecimal in = q.ask("Input price, USD per 1M tokens", "0", Questions::usd);
      BigDecimal out = q.ask("Output price, USD per 1M tokens", "0", Questions::usd);
      pricing = Optional.of(new Pricing(in, out));
    }
    Optional<String> keyRef = Optional.empty();
    String suggestedKeyRef = envName(type.yamlName()) + "_KEY_" + envName(tenant);
    if (type.keyRequired()) {
      keyRef = Optional.of(q.text("Secret ref name of the provider key", suggestedKeyRef, Names.SECRET_REF));
    } else if (type == ProviderType.LOCAL) {
      keyRef = q.ask("Secret ref name of the provider key (or 'none')", "none", Wizard::optionalRef);
    }
    BigDecimal budget = q.ask("Route daily budget in USD", "500", Questions::usd);
    int maxIn = q.ask("Max prompt tokens per call (max_tokens_in)", "6000", Questions::positiveInt);
    int maxOut = q.ask("Max answer tokens per call (max_tokens_out)", "2000", Questions::positiveInt);
    RedactionMode mode = q.ask("Redaction mode (warn|block|off)", "warn", Wizard::redactionMode);
    List<String> patterns = List.of();
    if (mode != RedactionMode.OFF) {
      patterns = q.ask("Redaction patterns, comma-separated (" + allPatterns() + ")",
          "EMAIL,API_KEY,BEARER_TOKEN", Wizard::patterns);
    }
    boolean drift = q.ask("Refuse answers from another model than the pinned one (drift_strict)?", "yes", Questions::yesNo);

    p.say("Service: an internal caller, locked to the routes you list, with its own bearer token.");
    String label = q.text("Service label", "service-a", Names.IDENTIFIER);
    List<String> allowed = q.ask("Routes it may call, comma-separated", route, a -> routes(a, route));
    String tokenRef = q.text("Secret ref name of its token", envName(label) + "_TOKEN", Names.SECRET_REF);

    p.say("Admin user: reads usage, events and metrics (read-only; nothing can be changed at runtime).");
    String username = q.text("Admin username", "admin", Names.USERNAME);
    String passwordRef = q.text("Secret ref name of the password", adminPasswordRef(username), Names.SECRET_REF);

    return new StarterSpec(tenant, cap, route, type.yamlName(), model, baseUrl, keyRef, pricing,
        budget, maxIn, maxOut, mode.yamlName(), patterns, drift, label, allowed, tokenRef,
        username, passwordRef);
  }

  /** {@code trip} -> {@code PARAPET_ADMIN_TRIP_PW} (the seed's spelling); {@code admin} -> {@code PARAPET_ADMIN_PW}. */
  static String adminPasswordRef(String username) {
    String name = envName(username);
    return name.equals("ADMIN") ? "PARAPET_ADMIN_PW" : "PARAPET_ADMIN_" + name + "_PW";
  }

  static String defaultModel(ProviderType type) {
    return switch (type) {
      case OPENAI -> "gpt-4o-2024-08-06";
      case ANTHROPIC -> "claude-sonnet-4-5-20250929";
      case LOCAL -> "llama3.1:8b";
      case ECHO -> "echo-1";
    };
  }

  /** {@code service-a} -> {@code SERVICE_A}: a name usable as an environment variable. */
  static String envName(String s) {
    String up = s.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]+", "_").replaceAll("^_+|_+$", "");
    if (up.isEmpty() || Character.isDigit(up.charAt(0))) {
      up = "X_" + up;
    }
    return up;
  }

  private static ProviderType providerType(String a) {
    return ProviderType.fromYaml(a.toLowerCase(Locale.ROOT))
        .orElseThrow(() -> new IllegalArgumentException(
            Quoting.quote(a) + " (expected: openai, anthropic, local or echo)"));
  }

  private static RedactionMode redactionMode(String a) {
    return RedactionMode.fromYaml(a.toLowerCase(Locale.ROOT))
        .orElseThrow(() -> new IllegalArgumentException(
            Quoting.quote(a) + " (expected: warn, block or off)"));
  }

  private static List<String> patterns(String a) {
    List<String> out = new ArrayList<>();
    for (String part : a.split(",")) {
      String name = part.strip().toUpperCase(Locale.ROOT);
      if (name.isEmpty()) {
        continue;
      }
      if (RedactionPattern.fromYaml(name).isEmpty()) {
        throw new IllegalArgumentException(Quoting.quote(part.strip()) + " (expected one of: " + allPatterns() + ")");
      }
      if (!out.contains(name)) {
        out.add(name);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("at least one pattern (or choose mode 'off')");
    }
    return out;
  }

  private static String allPatterns() {
    return String.join(",", java.util.Arrays.stream(RedactionPattern.values()).map(Enum::name).toList());
  }

  private static List<String> routes(String a, String known) {
    List<String> out = new ArrayList<>();
    for (String part : a.split(",")) {
      String name = part.strip();
      if (name.isEmpty()) {
        continue;
      }
      if (!name.equals(known)) {
        throw new IllegalArgumentException(Quoting.quote(name) + " (expected: a defined route: " + known + ")");
      }
      if (!out.contains(name)) {
        out.add(name);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("at least one route (expected: " + known + ")");
    }
    return out;
  }

  private static Optional<String> optionalRef(String a) {
    if (a.equalsIgnoreCase("none")) {
      return Optional.empty();
    }
    return Optional.of(Questions.matching(a, Names.SECRET_REF));
  }

  private static String httpUrl(String a) {
    try {
      URI uri = new URI(a);
      String scheme = uri.getScheme();
      if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
        throw new IllegalArgumentException(Quoting.quote(a) + " (expected: an http(s) URL such as http://127.0.0.1:11434/v1)");
      }
      return a;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(Quoting.quote(a) + " (expected: an http(s) URL such as http://127.0.0.1:11434/v1)");
    }
  }
}
