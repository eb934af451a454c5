package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.regex.Pattern;

/**
 * The provider ended a 2xx answer with an error of its own, readably: an Anthropic stream's
 * {@code error} event ({@code overloaded_error}, {@code api_error}:
 * https://docs.anthropic.com/en/api/messages-streaming#error-events), an OpenAI-compatible chunk
 * carrying {@code error} (OpenAI, vLLM, llama.cpp end a stream so), or such an object as a whole
 * answer. Not a broken answer: the provider said what went wrong, so the call is settled on what
 * was seen, not at its worst case.
 *
 * <p>{@link #errorType()} is the provider's error type ({@code error.type}, else a string or
 * number {@code error.code}) when it reads as an identifier, else {@value #UNKNOWN}: never the
 * provider's free text, which can quote what it was sent (a key).
 */
public final class ProviderErrorException extends ProviderProtocolException {
  private static final long serialVersionUID = 1L;
  static final String UNKNOWN = "unknown";
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");

  private final String errorType;

  ProviderErrorException(String what, JsonNode error) {
    super(what + ": the provider ended its answer with an error");
    this.errorType = typeOf(error);
  }

  /** The provider's error type, an identifier of at most 64 characters, or {@value #UNKNOWN}. */
  public String errorType() {
    return errorType;
  }

  private static String typeOf(JsonNode error) {
    if (error == null) {
      return UNKNOWN;
    }
    JsonNode type = error.path("type");
    JsonNode code = error.path("code");
    String named = type.isTextual() ? type.textValue()
        : code.isTextual() || code.isIntegralNumber() ? code.asText() : UNKNOWN;
    return IDENTIFIER.matcher(named).matches() ? named : UNKNOWN;
  }
}
