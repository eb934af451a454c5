package dev.parapet.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * The YAML loader and validator under hostile input (billion laughs, deep nesting, tags, merge
 * keys, duplicate keys, odd scalars): {@link SpecLoader#parse} and {@link SpecValidator#validate}
 * never throw, always return a verdict, and a spec comes back only when nothing is an error. A
 * StackOverflowError or a runaway alias expansion would fail here.
 *
 * <p>Seeds replay in the normal build; {@code JAZZER_FUZZ=1 ./mvnw -pl parapet-core test
 * -Dtest=SpecFuzzTest} fuzzes.
 */
class SpecFuzzTest {
  @FuzzTest
  void parsesAndValidatesWithoutThrowing(byte[] input) {
    String yaml = new String(input, StandardCharsets.UTF_8);
    ValidationResult result;
    try {
      SpecDocument doc = SpecLoader.parse(yaml, "fuzz.yaml");
      assertNotNull(doc);
      result = SpecValidator.validate(doc);
      if (doc.isEditable()) {
        assertNotNull(doc.toYaml());
      }
    } catch (RuntimeException | Error e) {
      fail("threw " + e, e);
      return;
    }
    assertEquals(result.isValid(), result.errors().isEmpty() && result.spec().isPresent());
    if (result.isValid()) {
      assertTrue(result.errors().isEmpty());
    } else {
      assertFalse(result.errors().isEmpty(), "refused without an error to show the operator");
    }
    for (Problem p : result.problems()) {
      assertNotNull(p.toString());
    }
  }
}
