package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parapet.core.store.EventKind;
import dev.parapet.runtime.http.ParapetError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What a caller or an operator can meet is explained somewhere they read: every Parapet error code
 * in the README or docs/; the event kinds {@code /_parapet/events?kind=} takes are exactly
 * docs/telemetry.md's list; the row notes that are fixed words are named there. The failure words
 * are held by {@code FailureReasonTest}, the metrics by {@link MetricsDocTest}, the knobs by
 * {@code KnobsDocTest}.
 */
class CodesDocTest {
  private static final Path ROOT = Path.of("..");

  @Test
  void everyErrorCodeIsDocumented() throws IOException {
    StringBuilder docs = new StringBuilder(Files.readString(ROOT.resolve("README.md")));
    try (var files = Files.list(ROOT.resolve("docs"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
        docs.append(Files.readString(f));
      }
    }
    List<String> undocumented = new ArrayList<>();
    for (ParapetError e : ParapetError.values()) {
      String code = e.code();
      if (!docs.toString().contains("`" + code + "`") && !docs.toString().contains("\"code\":\"" + code + "\"")) {
        undocumented.add(code);
      }
    }
    assertEquals(List.of(), undocumented, "codes no README or docs/*.md line names");
  }

  /**
   * A row's notes are its events' kinds (with reason and pattern, held by the kind list below),
   * the masked key and how the charge was made; the last two are fixed words the docs must name.
   */
  @Test
  void everyFixedRowNoteIsDocumented() throws IOException {
    String doc = Files.readString(ROOT.resolve("docs").resolve("telemetry.md"));
    List<String> notes = new ArrayList<>(List.of(GatewayRequest.PROVIDER_KEY_MASKED));
    for (Charge.Basis b : Charge.Basis.values()) {
      if (b.note() != null) {
        notes.add(b.note());
      }
    }
    assertEquals(List.of(), notes.stream().filter(n -> !doc.contains("`" + n + "`")).toList(),
        "row notes docs/telemetry.md does not name");
  }

  @Test
  void theEventKindsListedAreExactlyTheKinds() throws IOException {
    String doc = Files.readString(ROOT.resolve("docs").resolve("telemetry.md"));
    int from = doc.indexOf("`kind`:\n");
    int to = doc.indexOf("`limit`:", from);
    List<String> listed = new ArrayList<>();
    Matcher m = Pattern.compile("`([a-z_]+)`").matcher(doc.substring(from + "`kind`:".length(), to));
    while (m.find()) {
      listed.add(m.group(1));
    }
    assertEquals(Arrays.stream(EventKind.values()).map(EventKind::wireName).toList(), listed,
        "docs/telemetry.md, GET /_parapet/events: the kind list, in EventKind's order");
  }
}
