package dev.parapet.runtime.provider;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.Optional;

/**
 * A complete (non-streaming) provider answer in OpenAI Chat Completions shape, with what the
 * policies need to know about it.
 *
 * <p>An answer the adapter passed through unchanged (OpenAI and OpenAI-compatible providers) is
 * sent to the caller as the provider's own bytes, without serializing {@link #body()} again, unless
 * someone rewrote it. Whoever changes the body after translation (an output policy scrubbing a
 * match) must do it through {@link #set} or call {@link #markRewritten()}: an unsignalled edit
 * would be lost, and the caller would get the provider's original text. (Tests run with
 * assertions on, and then every verbatim answer is checked against a fresh parse of the bytes.)
 */
public final class Translated {
  private final ObjectNode body;
  private final Optional<String> reportedModel;
  private final Optional<Usage> usage;
  private final Optional<String> systemFingerprint;
  /** Changes signalled through {@link #set} or {@link #markRewritten}. */
  private int revision;
  /** The body's JSON at {@link #encodedAt}, or null. */
  private byte[] encoded;
  private int encodedAt;

  /**
   * @param body the OpenAI-shape response the caller receives
   * @param reportedModel the model id the provider says answered (drift lock)
   * @param usage tokens the provider reported (settlement), empty if it reported none
   * @param systemFingerprint OpenAI's {@code system_fingerprint}, if any
   */
  public Translated(
      ObjectNode body, Optional<String> reportedModel, Optional<Usage> usage, Optional<String> systemFingerprint) {
    this.body = Objects.requireNonNull(body, "body");
    this.reportedModel = Objects.requireNonNull(reportedModel, "reportedModel");
    this.usage = Objects.requireNonNull(usage, "usage");
    this.systemFingerprint = Objects.requireNonNull(systemFingerprint, "systemFingerprint");
  }

  public ObjectNode body() {
    return body;
  }

  public Optional<String> reportedModel() {
    return reportedModel;
  }

  public Optional<Usage> usage() {
    return usage;
  }

  public Optional<String> systemFingerprint() {
    return systemFingerprint;
  }

  /** Sets {@code field} of {@code holder}, a node inside {@link #body()}, and marks the answer rewritten. */
  public void set(ObjectNode holder, String field, JsonNode value) {
    holder.set(field, value);
    revision++;
  }

  /** Records that {@link #body()} was changed after translation: it must be serialized again. */
  public void markRewritten() {
    revision++;
  }

  /** Whether anyone changed {@link #body()} after translation (through {@link #set} or {@link #markRewritten}). */
  public boolean rewritten() {
    return revision > 0;
  }

  /**
   * {@link #body()} as compact JSON. Encoded once per change, so whoever read a large answer off the
   * event loop can encode it there too, and the loop only sends the bytes; a change signalled after
   * that (through {@link #set} or {@link #markRewritten}) encodes it again.
   */
  public byte[] encoded() throws JsonProcessingException {
    if (encoded == null || encodedAt != revision) {
      encoded = Json.MAPPER.writeValueAsBytes(body);
      encodedAt = revision;
    }
    return encoded;
  }

  @Override
  public String toString() {
    return "Translated[reportedModel=" + reportedModel + ", usage=" + usage + ", rewritten=" + rewritten() + "]";
  }
}
