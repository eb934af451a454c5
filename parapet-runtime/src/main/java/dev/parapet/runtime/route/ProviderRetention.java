package dev.parapet.runtime.route;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderType;

/**
 * The body fields with which a caller asks the provider to keep the call, checked on every route
 * before anything is held or sent. Parapet holds the provider keys so that services cannot go
 * around it, and records every call without keeping its prompt; a caller must not be able to switch
 * on retention at the provider through it.
 *
 * <ul>
 *   <li>{@code store: true} makes OpenAI keep the prompt and the answer as a stored completion
 *       (https://platform.openai.com/docs/api-reference/chat/create#chat-create-store), listed in the
 *       dashboard to the whole organisation and usable for evals and distillation: refused. {@code
 *       false} (OpenAI's default) goes up to OpenAI as given; elsewhere it is dropped, as is {@code
 *       null}. Refused on anthropic and local routes too, though neither has such an option: the
 *       caller cannot see which provider a route uses, and one body gets one answer whichever it is.
 *   <li>{@code metadata} tags a stored completion for the dashboard's filters; OpenAI reads it with
 *       {@code store: true} only and refuses it otherwise. It has no effect on the answer, so it is
 *       dropped on every route (never sent), as an anthropic route always ignored it: forwarding it
 *       could only turn a working call into OpenAI's 400.
 *   <li>{@code prompt_cache_retention: "24h"} makes OpenAI move the prompt's cached state (its
 *       key/value tensors) out of memory into storage and keep it up to 24 hours: refused. {@code
 *       in_memory} (the default; gone within an hour) passes.
 * </ul>
 * Messages name the field, never its value.
 */
final class ProviderRetention {
  private ProviderRetention() {}

  static final String CACHE_RETENTION = "prompt_cache_retention";

  static void check(ObjectNode body, ProviderType type) throws ChatBody.Invalid {
    JsonNode store = body.get("store");
    if (store != null) {
      if (!store.isNull() && !(store.isBoolean() && !store.booleanValue())) {
        throw new ChatBody.Invalid("store: providers may not keep prompts through Parapet (expected false)");
      }
      if (store.isNull() || type != ProviderType.OPENAI) {
        body.remove("store");
      }
    }
    body.remove("metadata");
    JsonNode retention = body.get(CACHE_RETENTION);
    if (retention != null && !retention.isNull()
        && !(retention.isTextual() && "in_memory".equals(retention.textValue()))) {
      throw new ChatBody.Invalid(CACHE_RETENTION + ": providers may not keep prompts through Parapet "
          + "(expected in_memory: 24h keeps the prompt's cached state in the provider's storage)");
    }
  }
}
