package dev.parapet.runtime;

import dev.parapet.core.seal.TokenDigest;
import dev.parapet.runtime.boot.Boot;
import dev.parapet.runtime.boot.SealedStateOpener;

/** The production collaborators of the boot sequence. */
final class Wiring {
  private static final UnwiredUpstream UNWIRED = new UnwiredUpstream();

  private Wiring() {}

  static Boot.Wiring production() {
    return new Boot.Wiring(
        new SealedStateOpener(),
        TokenDigest::matches,
        opened -> Stages.terminalOnly(() -> UNWIRED));
  }
}
