package dev.parapet.runtime;

import io.netty.channel.ChannelHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What goes behind the front of the pipeline, built once at boot from the opened blob: the
 * policy group's handler factories (in order) and the terminal handler's factory, each called
 * once per connection, plus whatever they share that must be closed after the gateway has
 * drained (the upstream connection pools, the telemetry store). Built together because they share
 * state: a budget hold taken by a policy handler is settled when the terminal completes.
 *
 * @param resources closed in reverse order after the last connection is gone
 * @param recorders handlers that only watch each {@link RequestCompleted} (telemetry rows,
 *     metrics); they sit right after the access log
 * @param surfaces the read-only {@code /_parapet/} surfaces (basic auth, usage, events, metrics),
 *     ahead of bearer-token auth; when absent those paths are 404
 */
public record Stages(
    List<Supplier<ChannelHandler>> policy,
    Supplier<ChannelHandler> terminal,
    List<AutoCloseable> resources,
    List<Supplier<ChannelHandler>> recorders,
    Optional<Supplier<ChannelHandler>> surfaces) {
  public Stages {
    policy = List.copyOf(policy);
    Objects.requireNonNull(terminal, "terminal");
    resources = List.copyOf(resources);
    recorders = List.copyOf(recorders);
    Objects.requireNonNull(surfaces, "surfaces");
  }

  /** Policy and terminal only: no recorders, no read-only surfaces. */
  public Stages(
      List<Supplier<ChannelHandler>> policy,
      Supplier<ChannelHandler> terminal,
      List<AutoCloseable> resources) {
    this(policy, terminal, resources, List.of(), Optional.empty());
  }

  /** Just a terminal handler: no policy, nothing to close. */
  public static Stages terminalOnly(Supplier<ChannelHandler> terminal) {
    return new Stages(List.of(), terminal, List.of());
  }

  /**
   * These stages with telemetry attached; {@code resource} is closed first after the drain (before
   * the store it reads from).
   */
  public Stages withTelemetry(
      List<Supplier<ChannelHandler>> newRecorders,
      Supplier<ChannelHandler> newSurfaces,
      AutoCloseable resource) {
    List<AutoCloseable> all = new ArrayList<>(resources);
    all.add(Objects.requireNonNull(resource, "resource"));
    List<Supplier<ChannelHandler>> watchers = new ArrayList<>(recorders);
    watchers.addAll(newRecorders);
    return new Stages(policy, terminal, all, watchers, Optional.of(newSurfaces));
  }
}
