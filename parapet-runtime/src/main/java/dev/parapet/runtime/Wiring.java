package dev.parapet.runtime;

import dev.parapet.runtime.boot.Boot;
import dev.parapet.runtime.boot.BootException;
import java.util.List;

/** The production collaborators of the boot sequence. */
final class Wiring {
  private Wiring() {}

  static Boot.Wiring production() {
    return new Boot.Wiring(
        (state, key) -> {
          throw new BootException("sealed state support is not built in yet");
        },
        (presented, digest) -> false,
        config -> List.of(),
        config -> () -> {
          throw new IllegalStateException("no upstream stage yet");
        });
  }
}
