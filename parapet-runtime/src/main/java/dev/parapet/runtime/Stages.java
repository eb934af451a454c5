package dev.parapet.runtime;

import io.netty.channel.ChannelHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
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
 * @param warmUps run once, in order, on one background daemon thread after the port is open:
 *     lazy, thread-safe initialisations (the tokenizer's BPE tables, the upstream TLS context)
 *     that would otherwise fall on the first call. They only move work earlier: a call that
 *     races one waits for it or does it itself, and one that fails is left to fail again where
 *     the work is really needed.
 * @param probes called once with the gateway when it listens (its meters: connections open and
 *     refused, requests in flight, the body budget); they only read it
 */
public record Stages(
    List<Supplier<ChannelHandler>> policy,
    Supplier<ChannelHandler> terminal,
    List<AutoCloseable> resources,
    List<Supplier<ChannelHandler>> recorders,
    Optional<Supplier<ChannelHandler>> surfaces,
    List<Runnable> warmUps,
    List<Consumer<Gateway>> probes) {
  public Stages {
    policy = List.copyOf(policy);
    Objects.requireNonNull(terminal, "terminal");
    resources = List.copyOf(resources);
    recorders = List.copyOf(recorders);
    Objects.requireNonNull(surfaces, "surfaces");
    warmUps = List.copyOf(warmUps);
    probes = List.copyOf(probes);
  }

  /** Policy and terminal only: no recorders, no read-only surfaces. */
  public Stages(
      List<Supplier<ChannelHandler>> policy,
      Supplier<ChannelHandler> terminal,
      List<AutoCloseable> resources) {
    this(policy, terminal, resources, List.of(), Optional.empty(), List.of(), List.of());
  }

  /** Just a terminal handler: no policy, nothing to close. */
  public static Stages terminalOnly(Supplier<ChannelHandler> terminal) {
    return new Stages(List.of(), terminal, List.of());
  }

  /**
   * These stages with telemetry attached; {@code resource} is closed first after the drain (before
   * the store it reads from); {@code probe} meets the gateway when it listens.
   */
  public Stages withTelemetry(
      List<Supplier<ChannelHandler>> newRecorders,
      Supplier<ChannelHandler> newSurfaces,
      AutoCloseable resource,
      Consumer<Gateway> probe) {
    List<AutoCloseable> all = new ArrayList<>(resources);
    all.add(Objects.requireNonNull(resource, "resource"));
    List<Supplier<ChannelHandler>> watchers = new ArrayList<>(recorders);
    watchers.addAll(newRecorders);
    List<Consumer<Gateway>> allProbes = new ArrayList<>(probes);
    allProbes.add(Objects.requireNonNull(probe, "probe"));
    return new Stages(policy, terminal, all, watchers, Optional.of(newSurfaces), warmUps, allProbes);
  }

  /** These stages with {@code more} warm-ups after the existing ones. */
  public Stages withWarmUps(List<Runnable> more) {
    List<Runnable> all = new ArrayList<>(warmUps);
    all.addAll(more);
    return new Stages(policy, terminal, resources, recorders, surfaces, all, probes);
  }
}
