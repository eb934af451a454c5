package dev.parapet.runtime;

import io.netty.channel.ChannelHandler;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What goes behind the front of the pipeline, built once at boot from the opened blob: the
 * policy group's handler factories (in order) and the terminal handler's factory, each called
 * once per connection, plus whatever they share that must be closed after the gateway has
 * drained (the upstream connection pools, the telemetry store). Built together because they share
 * state: a budget hold taken by a policy handler is settled when the terminal completes.
 *
 * @param resources closed in reverse order after the last connection is gone
 */
public record Stages(
    List<Supplier<ChannelHandler>> policy,
    Supplier<ChannelHandler> terminal,
    List<AutoCloseable> resources) {
  public Stages {
    policy = List.copyOf(policy);
    Objects.requireNonNull(terminal, "terminal");
    resources = List.copyOf(resources);
  }

  /** Just a terminal handler: no policy, nothing to close. */
  public static Stages terminalOnly(Supplier<ChannelHandler> terminal) {
    return new Stages(List.of(), terminal, List.of());
  }
}
