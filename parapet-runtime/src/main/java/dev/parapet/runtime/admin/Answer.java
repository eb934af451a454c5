package dev.parapet.runtime.admin;

import dev.parapet.runtime.http.ParapetError;
import java.util.Optional;

/**
 * What a read-only surface answers, computed off the event loop and written on it: a body with
 * its content type, or a refusal.
 */
record Answer(Optional<ParapetError> refusal, String message, String contentType, byte[] body) {
  static Answer ok(String contentType, byte[] body) {
    return new Answer(Optional.empty(), "", contentType, body);
  }

  static Answer refused(ParapetError error, String message) {
    return new Answer(Optional.of(error), message, "", new byte[0]);
  }
}
