package dev.parapet.build;

import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.seal.OpenedState;
import dev.parapet.core.seal.SealException;
import dev.parapet.core.seal.Sealer;

/**
 * Opens a {@link StateInput} and turns every refusal into one line naming the reason an operator
 * acts on: the wrong key for this blob, a blob altered or cut short in transit, or one written by
 * a newer Parapet.
 */
final class StateOpening {
  private StateOpening() {}

  static OpenedState open(StateInput input) throws CommandFailure {
    MasterKey key = MasterKeyChoice.parse(input.masterKey(), input.shownAs());
    try (key) {
      return Sealer.open(input.sealedState(), key);
    } catch (SealException e) {
      throw new CommandFailure(input.shownAs() + ": " + reason(e.reason()) + ": " + e.getMessage());
    }
  }

  static String reason(SealException.Reason reason) {
    return switch (reason) {
      case WRONG_KEY -> "wrong key";
      case TAMPERED -> "tampered";
      case TRUNCATED -> "truncated";
      case UNKNOWN_VERSION -> "unknown version";
      case UNKNOWN_ALGORITHM -> "unknown algorithm";
      case MALFORMED -> "malformed";
      case INVALID_CONFIG -> "invalid config";
    };
  }
}
