package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import java.util.function.Consumer;

/**
 * Reports what an absent or empty required list ({@code tenants}, {@code routes}, {@code users})
 * lacks as the MISSING fields of its first entry ({@code users[0].username}, …): each is a path a
 * filler can {@link SpecDocument#set}, and setting them all completes the list.
 */
final class FirstItem {
  private FirstItem() {}

  static void reportMissing(Section top, String key, String what, Consumer<Section> reader) {
    Problems scratch = new Problems();
    reader.accept(Section.absent(SpecPath.item(top.path(key), 0), top.mark(key), scratch));
    for (Problem p : scratch.list()) {
      if (p.kind() == Kind.MISSING && p.isError()) {
        top.problems()
            .add(
                new Problem(
                    p.severity(),
                    p.kind(),
                    p.path(),
                    "required: at least one " + what + " (expected: " + p.expected() + ")",
                    p.line(),
                    p.column(),
                    p.expected()));
      }
    }
  }
}
