/**
 * {@code parapet.yaml}: reading it, checking it, and the immutable records it becomes.
 *
 * <p>The path of a spec: {@link dev.parapet.core.config.SpecLoader} turns text into a {@link
 * dev.parapet.core.config.SpecDocument} (a YAML node tree with positions and comments, never
 * throwing), {@link dev.parapet.core.config.SpecValidator} checks it against SPEC §2 and, when
 * nothing is an error, builds the {@link dev.parapet.core.config.ParapetSpec}. Every finding is a
 * {@link dev.parapet.core.config.Problem} with a path, a position and a hint of what is expected;
 * {@code validate --fill} sets the MISSING ones back into the document and writes it out with
 * {@link dev.parapet.core.config.SpecDocument#toYaml()}.
 *
 * <p>The package-private classes are the rules, one per section of the spec ({@code
 * TenantRules}, {@code RouteRules}, {@code ProviderRules}, {@code PolicyRules}, {@code
 * ServiceRules}, {@code UserRules}, then {@code CrossRules} between entries), reading through
 * {@code Section} and {@code Scalars} so that each problem is reported once, where it is.
 */
package dev.parapet.core.config;
