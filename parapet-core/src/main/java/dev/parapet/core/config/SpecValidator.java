package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import java.util.List;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.MappingNode;

/**
 * Checks a {@link SpecDocument} against SPEC §2 and builds the {@link ParapetSpec}.
 *
 * <p>Every problem is reported in one pass, so an operator fixes a spec in one round instead of
 * one error per run. Unknown keys are errors at every level: a misspelt {@code budget_daly_usd}
 * must not silently leave a route without a cap. The spec is built only when nothing is an error.
 *
 * <p>For {@code validate --fill}: run, {@link SpecDocument#set} each {@link
 * ValidationResult#missing()} problem's path, and run again until none is left — some
 * requirements depend on earlier answers (whether {@code provider_key_ref} is needed depends on
 * {@code provider.type}).
 */
public final class SpecValidator {
  static final List<String> TOP_KEYS = List.of("version", "tenants", "routes", "services", "users");

  private SpecValidator() {}

  public static ValidationResult validate(SpecDocument doc) {
    Problems problems = new Problems();
    problems.addAll(doc.syntaxProblems());
    if (!doc.isEditable()) {
      return new ValidationResult(Optional.empty(), problems.list());
    }
    if (doc.isEmpty()) {
      problems.warning(
          Kind.MISSING,
          "",
          "the spec is empty; every required field is listed below",
          Problem.Mark.UNKNOWN);
    }
    MappingNode rootNode = doc.root().orElseGet(ValueNodes::mapping);
    Section top = Section.root(rootNode, problems);
    top.allowOnly(TOP_KEYS);
    Optional<Integer> version = Optional.empty();
    if (top.has("version")) {
      version =
          Scalars.integer(
              top.value("version").orElseThrow(),
              "version",
              top.mark("version"),
              problems,
              0,
              Integer.MAX_VALUE,
              String.valueOf(ParapetSpec.CURRENT_VERSION));
    } else {
      top.missing("version", String.valueOf(ParapetSpec.CURRENT_VERSION));
    }
    if (version.isPresent() && version.get() != ParapetSpec.CURRENT_VERSION) {
      problems.error(
          Kind.VALUE,
          "version",
          version.get() + " (expected: " + ParapetSpec.CURRENT_VERSION + ", the only spec version this Parapet reads)",
          top.mark("version"),
          String.valueOf(ParapetSpec.CURRENT_VERSION));
    }
    List<TenantRules.Entry> tenants = TenantRules.readAll(top);
    String tenantHint = tenantHint(tenants);
    List<RouteRules.Entry> routes = RouteRules.readAll(top, tenantHint);
    List<ServiceRules.Entry> services = ServiceRules.readAll(top, tenantHint);
    List<UserRules.Entry> users = UserRules.readAll(top);
    CrossRules.check(tenants, routes, services, users, problems);
    if (problems.hasErrors()) {
      return new ValidationResult(Optional.empty(), problems.list());
    }
    try {
      ParapetSpec spec =
          new ParapetSpec(
              version.orElseThrow(),
              tenants.stream().map(e -> e.tenant().orElseThrow()).toList(),
              routes.stream().map(e -> e.route().orElseThrow()).toList(),
              services.stream().map(e -> e.service().orElseThrow()).toList(),
              users.stream().map(e -> e.user().orElseThrow()).toList());
      return new ValidationResult(Optional.of(spec), problems.list());
    } catch (RuntimeException e) {
      // the rules above should have caught it; never let a record's check escape as a crash
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      problems.error(Kind.VALUE, "", "rejected: " + Quoting.quote(why), Problem.Mark.UNKNOWN, "a valid spec");
      return new ValidationResult(Optional.empty(), problems.list());
    }
  }

  /** "one of the tenants: prod, staging", so a filler can offer the choices. */
  private static String tenantHint(List<TenantRules.Entry> tenants) {
    List<String> names =
        tenants.stream().flatMap(t -> t.name().stream()).map(Named::value).distinct().toList();
    return names.isEmpty() ? "the name of a tenant" : "one of the tenants: " + Suggestions.listed(names);
  }
}
