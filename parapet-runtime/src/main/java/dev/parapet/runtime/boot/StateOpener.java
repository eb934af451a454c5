package dev.parapet.runtime.boot;

/**
 * Opens {@code PARAPET_BOOTSTRAP_STATE} with {@code PARAPET_MASTER_KEY}. Implementations zero the
 * master key bytes before returning (success or not) and fail with a one-line, secret-free reason.
 */
@FunctionalInterface
public interface StateOpener {
  OpenedConfig open(String bootstrapState, String masterKeyBase64) throws BootException;
}
