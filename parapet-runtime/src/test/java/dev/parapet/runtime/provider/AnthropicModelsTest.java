package dev.parapet.runtime.provider;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AnthropicModelsTest {
  @Test
  void structuredOutputsAreOnTheModelsAnthropicNamesWhateverTheirIdsForm() {
    for (String model : new String[] {"claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5-latest",
        "claude-haiku-4-5-20251001", "claude-opus-4-5-20251101", "claude-opus-4-6", "claude-sonnet-4-6",
        "claude-opus-4-7", "claude-opus-4-8", "claude-sonnet-5", "claude-fable-5", "claude-mythos-5",
        "claude-mythos-preview", "claude-fable-5-1", "claude-mythos-5-1-20260901"}) {
      assertTrue(AnthropicModels.structuredOutputs(model), model);
    }
    for (String model : new String[] {"claude-opus-4-1", "claude-opus-4-1-20250805", "claude-opus-4-20250514",
        "claude-sonnet-4-20250514", "claude-sonnet-4-0", "claude-3-7-sonnet-latest", "claude-3-5-haiku-20241022",
        "claude-sonnet-5-5", "claude-sonnet-4-5-2025092", "claude-sonnet-4-5-2025092x", "claude-sonnet-4-5-preview",
        "Claude-Sonnet-4-5", "anthropic.claude-sonnet-4-5-20250929-v1:0", ""}) {
      assertFalse(AnthropicModels.structuredOutputs(model), model);
    }
  }

  @Test
  void adaptiveOnlyThinkingIsOnTheModelsAnthropicNamesWhateverTheirIdsForm() {
    for (String model : new String[] {"claude-opus-4-7", "claude-opus-4-8", "claude-opus-4-8-latest", "claude-opus-5",
        "claude-opus-5-20261001", "claude-sonnet-5", "claude-fable-5", "claude-fable-5-1", "claude-mythos-5",
        "claude-mythos-5-1", "claude-opus-5-5", "claude-sonnet-5-5-latest", "claude-haiku-5-5"}) {
      assertTrue(AnthropicModels.adaptiveThinkingOnly(model), model);
    }
    // a budget still works on 4.6 (deprecated) and is the only mode before; Mythos Preview: sources disagree
    for (String model : new String[] {"claude-opus-4-6", "claude-sonnet-4-6", "claude-sonnet-4-5-20250929",
        "claude-haiku-4-5", "claude-opus-4-1", "claude-mythos-preview", "claude-opus-5-50", "claude-fable-5-2",
        "claude-opus-4-7-fast", "Claude-Opus-4-7", "anthropic.claude-opus-4-7", ""}) {
      assertFalse(AnthropicModels.adaptiveThinkingOnly(model), model);
    }
  }

  @Test
  void thinkingUnaskedIsOnTheModelsAnthropicNamesWhateverTheirIdsForm() {
    for (String model : new String[] {"claude-opus-5", "claude-opus-5-latest", "claude-sonnet-5", "claude-fable-5",
        "claude-fable-5-1", "claude-mythos-5", "claude-mythos-5-1", "claude-mythos-preview", "claude-opus-5-5",
        "claude-sonnet-5-5", "claude-haiku-5-5", "claude-haiku-5-5-20261001"}) {
      assertTrue(AnthropicModels.thinksUnasked(model), model);
    }
    for (String model : new String[] {"claude-opus-4-8", "claude-opus-4-7", "claude-opus-4-6", "claude-sonnet-4-6",
        "claude-haiku-4-5-20251001", "claude-sonnet-4-5-latest", "claude-opus-4-5-20251101", "claude-opus-4-1",
        "claude-opus-4-20250514", "claude-opus-4-0", "claude-sonnet-4-20250514", "claude-3-7-sonnet-20250219",
        "claude-3-7-sonnet-latest", "claude-3-5-haiku-20241022", "claude-3-5-sonnet-20240620", "claude-3-opus-20240229",
        "claude-3-haiku-20240307"}) {
      assertFalse(AnthropicModels.thinksUnasked(model), model);
      assertTrue(AnthropicModels.known(model), model);
    }
  }

  /** The lists lag Anthropic: a model they do not name is settled as one that thinks unasked. */
  @Test
  void aModelNoListNamesIsTakenToThinkUnasked() {
    for (String model : new String[] {"claude-opus-9", "claude-opus-5-50", "claude-haiku-5", "claude-sonnet-5-preview",
        "claude-opus-4-8-fast", "claude-sonnet-4-5-2025092", "Claude-Opus-4-8", "anthropic.claude-opus-4-8", ""}) {
      assertTrue(AnthropicModels.thinksUnasked(model), model);
      assertFalse(AnthropicModels.known(model), model);
      assertTrue(AnthropicModels.unknownModelWarning("r", model).orElseThrow().contains("model=" + model + ":"), model);
    }
    assertTrue(AnthropicModels.unknownModelWarning("r", "claude-opus-5-5").isEmpty());
    assertTrue(AnthropicModels.unknownModelWarning("r", "claude-sonnet-4-5").isEmpty());
  }

  @Test
  void forcedToolsAreRefusedOnTheModelsAnthropicNamesWhateverTheirIdsForm() {
    for (String model : new String[] {"claude-fable-5-1", "claude-fable-5-1-20260901", "claude-fable-5-1-latest",
        "claude-mythos-5-1", "claude-mythos-5-1-20260901", "claude-opus-5-5", "claude-sonnet-5-5"}) {
      assertTrue(AnthropicModels.refusesForcedTools(model), model);
    }
    // Fable and Mythos 5 still take a forced tool; a prefix is not the model
    for (String model : new String[] {"claude-fable-5", "claude-mythos-5", "claude-mythos-preview", "claude-opus-5",
        "claude-sonnet-5", "claude-fable-5-10", "claude-fable-5-1-fast", "Claude-Fable-5-1", ""}) {
      assertFalse(AnthropicModels.refusesForcedTools(model), model);
    }
  }

  @Test
  void thinkingIsDisabledOrAlwaysOnOnTheModelsAnthropicNames() {
    for (String model : new String[] {"claude-opus-5", "claude-opus-5-latest", "claude-haiku-5-5-20261001",
        "claude-sonnet-5"}) {
      assertTrue(AnthropicModels.thinkingCanBeDisabled(model), model);
      assertFalse(AnthropicModels.thinkingAlwaysOn(model) || AnthropicModels.thinkingOffIsBetweenTools(model), model);
    }
    for (String model : new String[] {"claude-sonnet-5-5", "claude-sonnet-5-5-latest"}) {
      assertTrue(AnthropicModels.thinkingOffIsBetweenTools(model), model);
      assertFalse(AnthropicModels.thinkingAlwaysOn(model) || AnthropicModels.thinkingCanBeDisabled(model), model);
    }
    for (String model : new String[] {"claude-opus-5-5", "claude-fable-5", "claude-fable-5-1", "claude-mythos-5",
        "claude-mythos-5-1-20260901"}) {
      assertTrue(AnthropicModels.thinkingAlwaysOn(model), model);
      assertFalse(AnthropicModels.thinkingCanBeDisabled(model) || AnthropicModels.thinkingOffIsBetweenTools(model), model);
    }
    // Mythos Preview: sources do not settle it; the rest think only when asked, or are unknown
    for (String model : new String[] {"claude-mythos-preview", "claude-opus-4-8", "claude-opus-9", "claude-opus-5-50",
        "claude-sonnet-5-50", ""}) {
      assertFalse(AnthropicModels.thinkingAlwaysOn(model) || AnthropicModels.thinkingCanBeDisabled(model)
          || AnthropicModels.thinkingOffIsBetweenTools(model), model);
    }
  }
}
