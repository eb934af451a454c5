package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * A complete (non-streaming) provider answer in OpenAI Chat Completions shape, with what the
 * policies need to know about it.
 *
 * @param body the OpenAI-shape response the caller receives
 * @param reportedModel the model id the provider says answered (drift lock)
 * @param usage tokens the provider reported (settlement), empty if it reported none
 * @param systemFingerprint OpenAI's {@code system_fingerprint}, if any
 */
public record Translated(
    ObjectNode body, Optional<String> reportedModel, Optional<Usage> usage, Optional<String> systemFingerprint) {}
