package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Mark;
import dev.parapet.core.pricing.PriceTable;
import java.math.BigDecimal;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.Node;

/** {@code routes[].provider}: where a route's calls go, with which key, at what price. */
final class ProviderRules {
  static final List<String> KEYS =
      List.of(
          "type", "model", "provider_key_ref", "base_url", "allowed_response_models", "pricing", "timeout_ms");
  static final String TYPE_HINT = "one of: openai, anthropic, local, echo";
  static final String MODEL_HINT = "a model id like gpt-4o-2024-08-06 (no spaces, at most 200 characters)";
  static final int MAX_MODEL_LENGTH = 200;
  static final int MAX_TIMEOUT_MS = 600_000;

  /** What the route and cross-checks need even when the provider has errors. */
  record Result(
      Optional<ProviderSpec> spec,
      Optional<ProviderType> type,
      Optional<String> model,
      List<String> allowedResponseModels,
      Optional<Named> keyRef) {}

  private ProviderRules() {}

  static Result read(Section s) {
    int errorsBefore = s.problems().failureCount();
    s.allowOnly(KEYS);
    Optional<ProviderType> type = s.string("type", true, TYPE_HINT).flatMap(text -> type(s, text));
    Optional<String> model = modelId(s, "model");
    warnPerCallFees(s, type, model);
    Optional<Named> keyRef = keyRef(s, type);
    Optional<URI> baseUrl = baseUrl(s, type);
    List<String> allowed = allowedResponseModels(s);
    Optional<Pricing> pricing = pricing(s, type, model);
    int timeout = s.integer("timeout_ms", false, 1, MAX_TIMEOUT_MS).orElse(ProviderSpec.DEFAULT_TIMEOUT_MS);
    Optional<ProviderSpec> spec =
        s.build(
            errorsBefore,
            () ->
                new ProviderSpec(
                    type.orElseThrow(),
                    model.orElseThrow(),
                    keyRef.map(Named::value),
                    baseUrl,
                    allowed,
                    pricing,
                    timeout));
    return new Result(spec, type, model, allowed, keyRef);
  }

  private static Optional<ProviderType> type(Section s, String text) {
    Optional<ProviderType> type = ProviderType.fromYaml(text);
    if (type.isEmpty()) {
      List<String> known = Arrays.stream(ProviderType.values()).map(ProviderType::yamlName).toList();
      s.problems()
          .error(
              Kind.VALUE,
              s.path("type"),
              Quoting.quote(text) + Suggestions.didYouMean(text, known) + " (expected: " + TYPE_HINT + ")",
              s.mark("type"),
              TYPE_HINT);
    }
    return type;
  }

  /**
   * OpenAI's search models (gpt-4o-search-preview, gpt-4o-mini-search-preview, gpt-5-search-api)
   * search the web on every call and bill a fee per search on top of the tokens. Parapet prices
   * tokens only, so such a route's budget and telemetry would undercount every call: warned, since
   * an operator may accept it (or fold the fee into a higher {@code pricing}).
   */
  private static void warnPerCallFees(Section s, Optional<ProviderType> type, Optional<String> model) {
    if (type.filter(t -> t == ProviderType.OPENAI).isEmpty() || model.isEmpty()
        || !ModelIds.openAiBase(model.get()).contains("-search")) {
      return;
    }
    s.problems()
        .warning(
            Kind.VALUE,
            s.path("model"),
            Quoting.quote(model.get()) + " searches the web on every call and bills a fee per search on top of"
                + " its tokens; Parapet prices tokens only, so this route's budget_daily_usd, the tenant's cap"
                + " and the usage figures leave the fees out",
            s.mark("model"));
  }

  private static Optional<String> modelId(Section s, String key) {
    Optional<String> model = s.string(key, true, MODEL_HINT);
    if (model.isPresent() && model.get().isBlank()) {
      s.missing(key, MODEL_HINT, "required, but blank");
      return Optional.empty();
    }
    return model.filter(m -> checkModel(m, s.path(key), s.mark(key), s.problems()));
  }

  static boolean checkModel(String model, String path, Mark at, Problems problems) {
    String why = null;
    if (model.isBlank()) {
      why = " is blank";
    } else if (model.length() > MAX_MODEL_LENGTH) {
      why = " is too long";
    } else if (model.codePoints().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
      why = " contains whitespace or control characters";
    }
    if (why != null) {
      problems.error(Kind.VALUE, path, Quoting.quote(model) + why + " (expected: " + MODEL_HINT + ")", at, MODEL_HINT);
      return false;
    }
    return true;
  }

  private static Optional<Named> keyRef(Section s, Optional<ProviderType> type) {
    if (type.isPresent() && type.get() == ProviderType.ECHO) {
      if (s.written("provider_key_ref")) {
        notUsedByEcho(s, "provider_key_ref");
      }
      return Optional.empty();
    }
    boolean required = type.map(ProviderType::keyRequired).orElse(false);
    return s.secretRef("provider_key_ref", required);
  }

  private static Optional<URI> baseUrl(Section s, Optional<ProviderType> type) {
    if (type.isEmpty()) {
      s.string("base_url", false, BaseUrls.HINT); // still type-check what is written
      return Optional.empty();
    }
    ProviderType t = type.get();
    if (t == ProviderType.ECHO) {
      if (s.written("base_url")) {
        notUsedByEcho(s, "base_url");
      }
      return Optional.empty();
    }
    Optional<String> text = s.string("base_url", t.defaultBaseUrl().isEmpty(), BaseUrls.HINT);
    if (text.isEmpty()) {
      return t.defaultBaseUrl().map(URI::create);
    }
    return BaseUrls.check(text.get(), t, s.path("base_url"), s.mark("base_url"), s.problems());
  }

  private static void notUsedByEcho(Section s, String key) {
    s.problems()
        .error(
            Kind.VALUE,
            s.path(key),
            "not used by echo (expected: no " + key + "; echo answers locally)",
            s.mark(key),
            "no " + key);
  }

  private static List<String> allowedResponseModels(Section s) {
    List<String> models = new ArrayList<>();
    List<Node> items = s.list("allowed_response_models", "a list of model ids");
    for (int i = 0; i < items.size(); i++) {
      String path = SpecPath.item(s.path("allowed_response_models"), i);
      Mark at = Mark.of(items.get(i).getStartMark());
      Scalars.string(items.get(i), path, at, s.problems(), MODEL_HINT)
          .filter(m -> checkModel(m, path, at, s.problems()))
          .ifPresent(models::add);
    }
    return models;
  }

  /**
   * The route's override, if written. When there is none and the table has no price either, the
   * two pricing fields are reported MISSING: a route with no price would make every budget a
   * lie, and MISSING lets {@code --fill} ask for them.
   */
  private static Optional<Pricing> pricing(Section s, Optional<ProviderType> type, Optional<String> model) {
    Section p = s.section("pricing", "a mapping with input_per_1m_usd and output_per_1m_usd");
    if (s.has("pricing")) {
      p.allowOnly(List.of("input_per_1m_usd", "output_per_1m_usd"));
      Optional<BigDecimal> in = p.decimal("input_per_1m_usd", true);
      Optional<BigDecimal> out = p.decimal("output_per_1m_usd", true);
      return in.isPresent() && out.isPresent() ? Optional.of(new Pricing(in.get(), out.get())) : Optional.empty();
    }
    if (type.isEmpty() || model.isEmpty() || type.get() == ProviderType.ECHO
        || PriceTable.builtIn(type.get(), model.get()).isPresent()) {
      return Optional.empty();
    }
    String hint = type.get() == ProviderType.LOCAL ? "USD per 1M tokens; use 0 for self-hosted" : "USD per 1M tokens";
    String message =
        "no built-in price for " + type.get().yamlName() + " model " + Quoting.quote(model.get())
            + " (table as of " + PriceTable.AS_OF + "); add provider.pricing";
    p.missing("input_per_1m_usd", "a number >= 0, " + hint, message);
    p.missing("output_per_1m_usd", "a number >= 0, " + hint, message);
    return Optional.empty();
  }
}
