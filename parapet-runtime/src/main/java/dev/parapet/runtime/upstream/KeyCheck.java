package dev.parapet.runtime.upstream;

/**
 * What {@link ProxiedCall#prepareWhole} found of the route's key ({@link KeyScrubber}) in the bytes
 * a whole answer is to go out as, where the answer was read (off the loop when large), for {@link
 * ProxiedCall#answerWhole} to use when it sends those very bytes. Nothing to release: it may come
 * back from a policy thread.
 *
 * @param encoded the answer's encoding that was checked (that very array), or null: the provider's
 *     bytes, as received
 * @param masked those bytes with the key masked, or null: the key is not in them
 */
record KeyCheck(byte[] encoded, byte[] masked) {
  /** The provider's bytes, without the key: the common case, so it allocates nothing. */
  static final KeyCheck RECEIVED_CLEAN = new KeyCheck(null, null);

  static KeyCheck of(byte[] encoded, byte[] masked) {
    return encoded == null && masked == null ? RECEIVED_CLEAN : new KeyCheck(encoded, masked);
  }
}
