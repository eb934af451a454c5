package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The body fields a {@code local} route forwards: default-deny. A local server (llama.cpp, vLLM,
 * SGLang, Ollama, LM Studio) reads many fields of its own beside OpenAI's, and each one Parapet
 * does not read is one its enforcement cannot see: SGLang's {@code bootstrap_host} makes the
 * server connect where the caller says, vLLM's {@code best_of} and {@code use_beam_search} make it
 * generate more than the hold priced, LM Studio's {@code draft_model} loads another model. Patching
 * them one by one kept missing some, so a local route forwards only the fields listed here and
 * refuses any other with 400 {@code invalid_request} naming it (never its value). A field off the
 * list that is {@code null} means "unset" to every server and is dropped, not forwarded, so a
 * client that writes every field of its schema as null still works.
 *
 * <p>A message forwards only the fields Parapet reads ({@link #MESSAGE_FIELDS}): a chat template
 * renders a message's fields into the prompt (gpt-oss's reads {@code thinking}), and Ollama reads a
 * message's {@code images}; neither would be counted or scanned. Content parts are already held to
 * the types Parapet reads, on every route. Deeper objects (a tool call, a tool's schema, an image
 * part) are not listed: tool calls and definitions are counted as prompt whole, and an image part's
 * fields reach no template.
 *
 * <p>Left off on purpose, for example: anything naming a host, a port, a file, a model, an adapter
 * or code ({@code bootstrap_host}, {@code bootstrap_port}, {@code kv_transfer_params}, {@code
 * draft_model}, {@code lora}, {@code image_data}, {@code logits_processors}); a server's own
 * constraint languages ({@code grammar}, {@code json_schema}, {@code regex}, {@code guided_*}),
 * which the server compiles at a cost no hold covers and a pathological one stalls it for every
 * caller, where {@code response_format} asks for structured answers in the form Parapet counts;
 * more work than the hold covers ({@code best_of}, {@code use_beam_search}, {@code
 * prompt_logprobs}, {@code return_hidden_states}); what reaches other callers ({@code priority},
 * {@code id_slot}, {@code cache_prompt}, {@code rid}, {@code session_params}, {@code ttl}, {@code
 * keep_alive}); answers in a form the stream guard and the output scan do not read ({@code
 * return_tokens}, {@code response_fields}, {@code post_sampling_probs}, {@code echo}, {@code
 * reasoning_format}, {@code skip_special_tokens}); and OpenAI's own fields that mean nothing to a
 * local server ({@code prompt_cache_key}, {@code web_search_options}, {@code verbosity}). ({@code
 * store: false} and {@code metadata} never get here: the route stage drops them on every route.)
 */
public final class LocalRequestFields {
  private LocalRequestFields() {}

  /** OpenAI Chat Completions fields Parapet reads, checks, caps or counts before the call goes up. */
  private static final List<String> OPENAI_ENFORCED = List.of(
      "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "n",
      "tools", "tool_choice", "parallel_tool_calls", "functions", "function_call", "response_format",
      "prediction", "logprobs", "top_logprobs", "service_tier", "modalities", "reasoning_effort");

  /**
   * OpenAI's sampling fields: they change which tokens are picked, never how many (the cap does)
   * nor what the prompt is.
   */
  private static final List<String> OPENAI_SAMPLING = List.of(
      "temperature", "top_p", "stop", "seed", "presence_penalty", "frequency_penalty", "logit_bias");

  /** Who the end user is ({@code user}, its successor {@code safety_identifier}): no effect on the answer. */
  private static final List<String> OPENAI_IDENTIFIERS = List.of("user", "safety_identifier");

  /**
   * Local servers' fields Parapet already enforces: llama.cpp's {@code n_predict} (capped like
   * {@code max_tokens}), {@code n_cmpl} (held for like {@code n}) and {@code n_probs} (refused where
   * answers are scanned, like {@code logprobs}); vLLM's and SGLang's template inputs {@code
   * documents} and {@code chat_template_kwargs} (counted as prompt; a template in them is refused).
   */
  private static final List<String> LOCAL_ENFORCED = List.of(
      "n_predict", "n_cmpl", "n_probs", "documents", "chat_template_kwargs");

  /**
   * Local servers' own sampling fields (llama.cpp, vLLM, SGLang, LM Studio, Ollama name them alike):
   * they reshape the distribution a token is drawn from, or stop it sooner ({@code stop_token_ids}),
   * and nothing else. None names a host, a file or code, none adds prompt, and each call still stops
   * at the cap the hold priced.
   */
  private static final List<String> LOCAL_SAMPLING = List.of(
      "top_k", "min_p", "typical_p", "top_n_sigma", "min_keep", "repetition_penalty", "repeat_penalty",
      "repeat_last_n", "dynatemp_range", "dynatemp_exponent", "mirostat", "mirostat_tau", "mirostat_eta",
      "dry_multiplier", "dry_base", "dry_allowed_length", "dry_penalty_last_n", "dry_sequence_breakers",
      "xtc_probability", "xtc_threshold", "stop_token_ids");

  /**
   * Fields that make an answer run longer, but never past the cap: {@code ignore_eos} and {@code
   * min_tokens} make the server write up to {@code max_tokens}, which is what the hold priced and the
   * stream guard allows (vLLM refuses a {@code min_tokens} above {@code max_tokens}).
   */
  private static final List<String> WITHIN_CAP = List.of("ignore_eos", "min_tokens");

  /** Every top-level field a local route forwards. */
  static final Set<String> FIELDS = Set.copyOf(Stream.of(
      OPENAI_ENFORCED, OPENAI_SAMPLING, OPENAI_IDENTIFIERS, LOCAL_ENFORCED, LOCAL_SAMPLING, WITHIN_CAP)
      .flatMap(List::stream).toList());

  /**
   * A message's fields Parapet reads: what it counts as prompt ({@code content}, {@code name}, {@code
   * tool_call_id}, an earlier turn's {@code tool_calls}, {@code function_call}, its {@code refusal}
   * (an OpenAI answer, replayed) and its {@code reasoning} or {@code reasoning_content}) and the
   * {@code role}.
   */
  static final Set<String> MESSAGE_FIELDS = Set.of("role", "content", "name", "tool_call_id", "tool_calls",
      "function_call", "refusal", "reasoning", "reasoning_content");

  private static final String NOT_LISTED = "not allowed on a local route: it forwards only the fields Parapet "
      + "reads or knows to be safe for a local server (docs/enforcement.md)";

  /**
   * Refuses the first field off the lists, at the top level or in a message, and drops the null ones.
   *
   * @throws InvalidRequestException naming the field, never its value
   */
  public static void check(ObjectNode body) throws InvalidRequestException {
    onlyListed(body, FIELDS, "");
    answerFormat(body.get("response_format"));
    int i = 0;
    for (JsonNode message : body.path("messages")) {
      if (message instanceof ObjectNode fields) {
        onlyListed(fields, MESSAGE_FIELDS, "messages[" + i + "].");
      }
      i++;
    }
  }

  /** The answer forms OpenAI defines; a server's own ({@code structural_tag}, ...) are its own languages. */
  private static final Set<String> ANSWER_FORMATS = Set.of("text", "json_object", "json_schema");

  /**
   * {@code response_format} holds OpenAI's answer forms only: local servers accept their own
   * constraint languages in it too (vLLM's {@code structural_tag}, others' grammars), compiled at
   * a cost no hold covers, as the top-level {@code grammar} and {@code guided_*} fields are.
   */
  private static void answerFormat(JsonNode format) throws InvalidRequestException {
    if (format == null || format.isNull()) {
      return;
    }
    if (!format.isObject()) {
      throw new InvalidRequestException("response_format: expected an object");
    }
    if (!ANSWER_FORMATS.contains(format.path("type").asText(""))) {
      throw new InvalidRequestException("response_format.type: " + NOT_LISTED
          + " (text, json_object or json_schema)");
    }
  }

  private static void onlyListed(ObjectNode node, Set<String> listed, String where) throws InvalidRequestException {
    List<String> unset = new ArrayList<>();
    for (var field : node.properties()) {
      if (listed.contains(field.getKey())) {
        continue;
      }
      if (!field.getValue().isNull()) {
        throw new InvalidRequestException(where + Json.safe(field.getKey()) + ": " + NOT_LISTED);
      }
      unset.add(field.getKey());
    }
    node.remove(unset);
  }
}
