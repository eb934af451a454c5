package dev.parapet.runtime.boot;

import dev.parapet.core.seal.KeyPurpose;
import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.seal.OpenedState;
import dev.parapet.core.seal.SealException;
import dev.parapet.core.seal.Sealer;
import dev.parapet.core.seal.SecretValue;
import java.util.Arrays;

/**
 * Opens the blob with the master key, derives the sub-keys the runtime keeps (the telemetry
 * store's encryption and MAC keys) and closes the master key, which zeroes its bytes, whatever
 * happens. The reasons it gives are the sealer's own one-line messages, which name no secret.
 */
public final class SealedStateOpener implements StateOpener {
  @Override
  public OpenedConfig open(String bootstrapState, String masterKeyBase64) throws BootException {
    MasterKey key;
    try {
      key = MasterKey.fromBase64(masterKeyBase64);
    } catch (IllegalArgumentException e) {
      throw new BootException(prefixed(Settings.MASTER_KEY, e.getMessage()));
    }
    try (key) {
      OpenedState state = Sealer.open(bootstrapState, key);
      return new OpenedConfig(state.config(), state.configSha256(),
          derive(key, KeyPurpose.STORE), derive(key, KeyPurpose.STORE_MAC));
    } catch (SealException e) {
      String variable = e.reason() == SealException.Reason.WRONG_KEY ? Settings.MASTER_KEY : Settings.BOOTSTRAP_STATE;
      throw new BootException(prefixed(variable, e.getMessage()));
    }
  }

  private static SecretValue derive(MasterKey key, KeyPurpose purpose) {
    byte[] bytes = key.deriveKey(purpose);
    try {
      return SecretValue.ofUtf8(bytes);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  private static String prefixed(String variable, String message) {
    String m = message == null ? "invalid" : message;
    return m.startsWith(variable) ? m : variable + ": " + m;
  }
}
