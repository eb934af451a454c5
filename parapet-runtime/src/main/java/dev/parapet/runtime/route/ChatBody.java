package dev.parapet.runtime.route;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.runtime.provider.ChatMessages;
import dev.parapet.runtime.provider.InvalidRequestException;
import dev.parapet.runtime.provider.LocalRequestFields;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Reads and normalises an OpenAI Chat Completions body. Parsing is bounded (nesting depth 64,
 * numbers of at most 100 digits, strings no longer than the body limit), duplicate keys are
 * refused (two {@code model} keys would mean different things to different parsers) and trailing
 * bytes after the object are refused. Messages here are ours: a caller's bytes are never echoed.
 */
final class ChatBody {
  static final int MAX_DEPTH = 64;
  static final int MAX_NUMBER_LENGTH = 100;

  private final ObjectMapper mapper;

  ChatBody(int maxBodyBytes) {
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxNumberLength(MAX_NUMBER_LENGTH)
                    .maxStringLength(Math.max(1, maxBodyBytes))
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    this.mapper =
        new ObjectMapper(factory)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
  }

  /** A refusal found while reading the body; the message is safe to send back. */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;
    final boolean modelNotAllowed;

    Invalid(String message) {
      this(message, false);
    }

    Invalid(String message, boolean modelNotAllowed) {
      super(message, null, false, false);
      this.modelNotAllowed = modelNotAllowed;
    }
  }

  /** The body as a JSON object; does not release {@code content}. */
  ObjectNode parse(ByteBuf content) throws Invalid {
    if (!content.isReadable()) {
      throw new Invalid("body must be a JSON object");
    }
    JsonNode node;
    try (InputStream in = new ByteBufInputStream(content.duplicate())) {
      node = mapper.readTree(in);
    } catch (IOException | RuntimeException e) {
      throw new Invalid(notJson(e));
    }
    if (!(node instanceof ObjectNode object)) {
      throw new Invalid("body must be a JSON object");
    }
    return object;
  }

  /**
   * Why the body could not be read, in our words: never Jackson's message, which quotes the body
   * (a duplicate key's name, the text around a syntax error).
   */
  private static String notJson(Exception e) {
    if (e instanceof StreamConstraintsException) {
      return "body exceeds a JSON limit: nesting deeper than " + MAX_DEPTH + ", or a number longer than "
          + MAX_NUMBER_LENGTH + " digits";
    }
    // Jackson has no type of its own for STRICT_DUPLICATE_DETECTION's refusal: its message says it.
    if (e instanceof JsonParseException p && p.getOriginalMessage() != null
        && p.getOriginalMessage().startsWith("Duplicate field ")) {
      return "body has an object with the same key twice";
    }
    return "body is not valid JSON";
  }

  /** The route name a {@code /v1/chat/completions} body asks for in {@code model}. */
  static String modelName(ObjectNode body) throws Invalid {
    JsonNode model = body.get("model");
    if (model == null || !model.isTextual()) {
      throw new Invalid("model: required, the route name");
    }
    return model.textValue();
  }

  /**
   * Checks the shape (that it asks no provider to keep the call, {@link ProviderRetention}; on a
   * local route, that it holds only the fields a local route forwards, {@link LocalRequestFields}), pins {@code model} to the route's provider model and caps the output
   * tokens at {@code policy.max_tokens_out} (setting the cap when the caller gave none). The call
   * goes up with one cap, the smaller of the caller's two (as the budget prices it, {@link
   * ChatMessages#maxOutputTokens}). An openai route sends it as {@code max_completion_tokens} alone:
   * OpenAI deprecated {@code max_tokens}, and its reasoning models (o1, o3, o4-mini, gpt-5) refuse
   * it. Other routes send it as {@code max_tokens}, which every OpenAI-compatible server reads
   * (Ollama and LM Studio read no other), and as {@code max_completion_tokens} too when the caller
   * gave that (vLLM prefers it), and as {@code n_predict} when the caller gave that (llama.cpp reads
   * it first; its value counts as a cap too): a server reading any of them stops where the hold and
   * the stream guard expect.
   *
   * @param modelMustMatch for {@code /routes/{route}}: a given model must be the route's pinned
   *     model or its name
   * @return whether the caller asked to stream
   */
  static boolean normalise(ObjectNode body, Route route, boolean modelMustMatch) throws Invalid {
    checkMessages(body.get("messages"));
    checkNoAudioAnswer(body);
    checkNoTemplate(body);
    checkNoOtherModel(body);
    ProviderRetention.check(body, route.provider().type());
    if (route.provider().type() == ProviderType.LOCAL) {
      try {
        LocalRequestFields.check(body);
      } catch (InvalidRequestException e) {
        throw new Invalid(e.getMessage());
      }
    }
    JsonNode stream = body.get("stream");
    if (stream != null && !stream.isBoolean() && !stream.isNull()) {
      throw new Invalid("stream: expected true or false");
    }
    JsonNode model = body.get("model");
    if (modelMustMatch && model != null && !model.isNull()) {
      if (!model.isTextual()) {
        throw new Invalid("model: expected a string");
      }
      String asked = model.textValue();
      if (!asked.equals(route.name()) && !asked.equals(route.provider().model())) {
        throw new Invalid("this route serves one model only", true);
      }
    }
    for (String field : ChatMessages.CHOICE_FIELDS) {
      JsonNode n = body.get(field);
      if (n != null && !n.isNull() && !ChatMessages.isChoiceCount(n)) {
        throw new Invalid(field + ": expected an integer from 1 to " + ChatMessages.MAX_CHOICES);
      }
    }
    int cap = route.policy().maxTokensOut();
    boolean capped = capField(body, "max_tokens", cap) | capField(body, "max_completion_tokens", cap);
    int maxOut = capped ? ChatMessages.maxOutputTokens(body).orElseThrow() : cap;
    if (capField(body, LLAMA_CPP_CAP, cap)) {
      maxOut = Math.min(maxOut, body.get(LLAMA_CPP_CAP).intValue());
      body.put(LLAMA_CPP_CAP, maxOut);
    }
    if (route.provider().type() == ProviderType.OPENAI) {
      body.put("max_completion_tokens", maxOut);
      body.remove("max_tokens");
    } else {
      body.put("max_tokens", maxOut);
      if (body.has("max_completion_tokens")) {
        body.put("max_completion_tokens", maxOut);
      }
    }
    body.put("model", route.provider().model());
    return stream != null && stream.booleanValue();
  }

  /**
   * llama.cpp's own output cap, which its server reads before {@code max_tokens} on its OpenAI chat
   * endpoint too (a caller's {@code n_predict: 100000} beside {@code max_tokens: 10} would be
   * answered 100,000 tokens long): one of the caller's caps like the other two, sent as the one cap.
   */
  static final String LLAMA_CPP_CAP = "n_predict";

  /** Caps one output-token field if present; true when it was present. */
  private static boolean capField(ObjectNode body, String field, int cap) throws Invalid {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      body.remove(field);
      return false;
    }
    if (!value.isIntegralNumber() || value.bigIntegerValue().signum() <= 0) {
      throw new Invalid(field + ": expected a positive integer");
    }
    if (!value.canConvertToInt() || value.intValue() > cap) {
      body.put(field, cap);
    }
    return true;
  }

  private static void checkMessages(JsonNode messages) throws Invalid {
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new Invalid("messages: required, a non-empty array");
    }
    int i = 0;
    for (JsonNode m : messages) {
      if (!m.isObject()) {
        throw new Invalid("messages[" + i + "]: expected an object");
      }
      JsonNode role = m.get("role");
      if (role == null || !role.isTextual()) {
        throw new Invalid("messages[" + i + "].role: expected a string");
      }
      JsonNode content = m.get("content");
      boolean toolCallTurn = "assistant".equals(role.textValue()) && m.has("tool_calls");
      boolean contentOk =
          content != null && (content.isTextual() || content.isArray())
              || toolCallTurn && (content == null || content.isNull());
      if (!contentOk) {
        throw new Invalid("messages[" + i + "].content: expected a string or an array");
      }
      if (content != null && content.isArray()) {
        checkParts(content, "messages[" + i + "].content");
      }
      i++;
    }
  }

  /**
   * Every content part must be one Parapet counts, prices and scans: {@code text}, {@code refusal}
   * (an earlier assistant turn's, billed as text) or {@code image_url} (counted by its size or at
   * its model's maximum, {@code PromptImages}). Audio ({@code input_audio}) and files ({@code
   * file}: a PDF is billed as its text plus an image of every page) are refused by name: Parapet
   * can read neither, so {@code max_tokens_in}, the budget's hold and the redaction scan would all
   * pass them unseen; and OpenAI bills audio tokens at many times the text rate a route is priced at
   * (gpt-4o-audio-preview: $40 per million input tokens of audio, $2.50 of text). Any other type is refused too, as OpenAI refuses it, without echoing it back.
   */
  private static void checkParts(JsonNode content, String where) throws Invalid {
    int p = 0;
    for (JsonNode part : content) {
      String at = where + "[" + p++ + "]";
      if (!part.isObject()) {
        throw new Invalid(at + ": expected an object");
      }
      JsonNode type = part.get("type");
      String name = type != null && type.isTextual() ? type.textValue() : "";
      switch (name) {
        case "text", "refusal" -> {
          if (!part.path(name).isTextual()) {
            throw new Invalid(at + "." + name + ": expected a string");
          }
        }
        case "image_url" -> { }
        case "input_audio" -> throw new Invalid(at + ".type: 'input_audio' is not allowed: Parapet cannot count, "
            + "price or scan audio, so max_tokens_in, the budget and redaction would not see it");
        case "file" -> throw new Invalid(at + ".type: 'file' is not allowed: Parapet cannot count or scan a file, "
            + "so max_tokens_in, the budget and redaction would not see it; send its text and page images as "
            + "text and image_url parts");
        default -> throw new Invalid(at + ".type: " + (type == null ? "required" : "not a part type Parapet reads")
            + " (expected text, image_url or refusal)");
      }
    }
  }

  /**
   * An audio answer ({@code modalities} with {@code audio}, or {@code audio} options) is refused on
   * every route: OpenAI bills audio output at many times the text rate a route is priced at
   * (gpt-4o-audio-preview: $80 per million tokens against $10), so the hold and the settlement
   * would undercharge it; and speech cannot be scanned.
   */
  private static final String AUDIO_ANSWER = "audio answers are not allowed: Parapet prices output at the "
      + "route's text rate (OpenAI bills audio at many times it) and cannot scan speech";

  /**
   * A caller's own chat template ({@code chat_template}, or one in {@code chat_template_kwargs}) is
   * refused on every route: vLLM and SGLang render the prompt with it when the server allows one,
   * and a template can write any amount of prompt (a loop) that no count of the body sees, so
   * {@code max_tokens_in} and the budget's hold would not bound it. The route's server picks its
   * template; OpenAI and Anthropic know no such field.
   */
  private static void checkNoTemplate(ObjectNode body) throws Invalid {
    JsonNode template = body.get("chat_template");
    JsonNode inKwargs = body.path("chat_template_kwargs").get("chat_template");
    if (template != null && !template.isNull() || inKwargs != null && !inKwargs.isNull()) {
      throw new Invalid((template != null && !template.isNull() ? "" : "chat_template_kwargs.")
          + "chat_template: not allowed: a caller's template can write prompt that max_tokens_in and the "
          + "budget cannot count; the route's server uses its own");
    }
  }

  /**
   * Fields with which a local server lets a request change what answers it, refused on every route
   * (OpenAI and Anthropic know none of them): llama.cpp's {@code lora} (which loaded adapters
   * apply, at what scale), SGLang's {@code lora_path} (an adapter: another fine-tuned model, which
   * answers under the base model's name, so the drift lock cannot see it) and {@code
   * custom_logit_processor} (serialized code for the server to run).
   */
  private static final List<String> OTHER_MODEL = List.of("lora", "lora_path", "custom_logit_processor");

  private static void checkNoOtherModel(ObjectNode body) throws Invalid {
    for (String field : OTHER_MODEL) {
      JsonNode value = body.get(field);
      if (value != null && !value.isNull()) {
        throw new Invalid(field + ": not allowed: the route pins its model, and this would change what answers");
      }
    }
  }

  private static void checkNoAudioAnswer(ObjectNode body) throws Invalid {
    JsonNode modalities = body.get("modalities");
    if (modalities != null && modalities.isArray()) {
      for (JsonNode modality : modalities) {
        if ("audio".equals(modality.asText())) {
          throw new Invalid("modalities: " + AUDIO_ANSWER);
        }
      }
    }
    JsonNode audio = body.get("audio");
    if (audio != null && !audio.isNull()) {
      throw new Invalid("audio: " + AUDIO_ANSWER);
    }
  }
}
