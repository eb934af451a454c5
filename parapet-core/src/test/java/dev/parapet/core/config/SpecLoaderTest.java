package dev.parapet.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Severity;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecLoaderTest {
  @TempDir Path dir;

  @Test
  void loadsTheReferenceSpecFromAFile() throws IOException {
    Path file = dir.resolve("parapet.yaml");
    Files.writeString(file, Specs.validYaml());
    SpecDocument doc = SpecLoader.load(file);
    assertEquals(List.of(), doc.syntaxProblems());
    assertEquals(file.toString(), doc.sourceName());
    Specs.assertValid(SpecValidator.validate(doc));
  }

  @Test
  void emptyFileIsAnEditableEmptyDocumentAndEveryRequiredFieldIsMissing() {
    for (String text : List.of("", "# only a comment\n", "---\n", "\n\n")) {
      SpecDocument doc = SpecLoader.parse(text, "parapet.yaml");
      assertTrue(doc.isEmpty(), text);
      assertTrue(doc.isEditable(), text);
      ValidationResult result = SpecValidator.validate(doc);
      assertFalse(result.isValid());
      Problem empty = Specs.only(result, "");
      assertEquals(Severity.WARNING, empty.severity());
      assertTrue(empty.message().contains("empty"), empty::toString);
      List<String> missing = result.missing().stream().map(Problem::path).toList();
      assertTrue(
          missing.containsAll(
              List.of("version", "tenants[0].name", "routes[0].name", "routes[0].tenant",
                  "routes[0].provider.type", "routes[0].provider.model",
                  "routes[0].policy.max_tokens_in", "routes[0].policy.max_tokens_out",
                  "routes[0].policy.budget_daily_usd", "users[0].username", "users[0].role",
                  "users[0].password_ref")),
          missing::toString);
    }
  }

  @Test
  void nonMappingRootIsATypeProblemAndNotEditable() {
    SpecDocument doc = SpecLoader.parse("- version: 1\n", "parapet.yaml");
    assertFalse(doc.isEditable());
    Problem p = doc.syntaxProblems().get(0);
    assertEquals(Kind.TYPE, p.kind());
    assertEquals("", p.path());
    assertEquals(1, p.line());
    assertTrue(p.message().contains("a list (expected: a mapping)"), p::toString);
    assertEquals(List.of(p), SpecValidator.validate(doc).problems());

    Problem scalar = SpecLoader.parse("just text", "parapet.yaml").syntaxProblems().get(0);
    assertTrue(scalar.message().contains("the string \"just text\""), scalar::toString);
  }

  @Test
  void multipleDocumentsAreRefused() {
    SpecDocument doc = SpecLoader.parse("version: 1\n---\nversion: 1\n", "parapet.yaml");
    Problem p = doc.syntaxProblems().get(0);
    assertEquals(Kind.SYNTAX, p.kind());
    assertEquals(3, p.line());
    assertTrue(p.message().contains("more than one YAML document"), p::toString);
    // an empty trailing document holds nothing that could be ignored by mistake
    assertEquals(List.of(), SpecLoader.parse("version: 1\n---\n# end\n", "p").syntaxProblems());
    assertEquals(List.of(), SpecLoader.parse("# lead\n---\nversion: 1\n...\n", "p").syntaxProblems());
  }

  @Test
  void syntaxErrorHasOneBasedLineAndColumn() {
    SpecDocument doc = SpecLoader.parse("version: 1\ntenants:\n  - name: prod\n    spend: [1, 2\n", "parapet.yaml");
    Problem p = doc.syntaxProblems().get(0);
    assertEquals(Kind.SYNTAX, p.kind());
    assertEquals(Severity.ERROR, p.severity());
    assertEquals(5, p.line(), p::toString);
    assertEquals(1, p.column(), p::toString);
    assertTrue(p.format("parapet.yaml").startsWith("parapet.yaml:5:1: "), p::toString);

    Problem colon = SpecLoader.parse("version: 1\nusers: a: b\n", "parapet.yaml").syntaxProblems().get(0);
    assertEquals(2, colon.line());
    assertEquals(9, colon.column());
    assertTrue(colon.message().contains("mapping values are not allowed here"), colon::toString);
  }

  @Test
  void duplicateKeysAreReportedAtTheRepeatWithLineAndColumn() {
    String yaml = "version: 1\ntenants:\n  - name: prod\n    name: staging\nversion: 1\n";
    SpecDocument doc = SpecLoader.parse(yaml, "parapet.yaml");
    List<Problem> dups = doc.syntaxProblems();
    assertEquals(2, dups.size(), dups::toString);
    assertEquals(Kind.DUPLICATE, dups.get(0).kind());
    assertEquals("tenants[0].name", dups.get(0).path());
    assertEquals(4, dups.get(0).line());
    assertEquals(5, dups.get(0).column());
    assertTrue(dups.get(0).message().contains("first at line 3"), dups.get(0)::toString);
    assertEquals("version", dups.get(1).path());
    assertEquals(5, dups.get(1).line());
    assertEquals(1, dups.get(1).column());
    assertFalse(SpecValidator.validate(doc).isValid());
  }

  @Test
  void fiftyMegabytesAreRefusedBeforeParsing() {
    String huge = "a".repeat(50 * 1024 * 1024);
    SpecDocument doc =
        SpecLoader.parse(huge, "parapet.yaml");
    Problem p = doc.syntaxProblems().get(0);
    assertEquals("spec too large: 52428800 bytes (expected: <= 1048576)", p.message());
    assertFalse(doc.isEditable());
  }

  @Test
  void fiftyMegabyteFileIsRefusedWithoutReadingIt() throws IOException {
    Path file = dir.resolve("big.yaml");
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(50L * 1024 * 1024); // sparse: cheap to create
    }
    SpecDocument doc = SpecLoader.load(file);
    assertEquals(
        "spec too large: 52428800 bytes (expected: <= 1048576)", doc.syntaxProblems().get(0).message());
  }

  @Test
  void justOverTheLimitIsRefusedAndTheLimitItselfIsParsed() {
    String atLimit = "#" + "x".repeat(SpecLoader.MAX_BYTES - 2) + "\n";
    assertEquals(List.of(), SpecLoader.parse(atLimit, "p").syntaxProblems());
    String over = atLimit + "\n";
    assertTrue(SpecLoader.parse(over, "p").syntaxProblems().get(0).message().startsWith("spec too large: 1048577 bytes"));
    // multi-byte characters count as bytes, not chars
    String wide = "#" + "é".repeat(SpecLoader.MAX_BYTES / 2);
    assertTrue(SpecLoader.parse(wide, "p").syntaxProblems().get(0).message().startsWith("spec too large"));
  }

  @Test
  void billionLaughsIsRefusedQuickly() {
    StringBuilder yaml = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    char prev = 'a';
    for (char c = 'b'; c <= 'i'; c++) {
      yaml.append(c).append(": &").append(c).append(" [");
      for (int i = 0; i < 9; i++) {
        yaml.append(i == 0 ? "" : ",").append('*').append(prev);
      }
      yaml.append("]\n");
      prev = c;
    }
    SpecDocument doc =
        SpecLoader.parse(yaml.toString(), "parapet.yaml");
    Problem p = doc.syntaxProblems().get(0);
    assertEquals(Kind.SYNTAX, p.kind());
    assertTrue(p.message().contains("too many aliases"), p::toString);
    SpecValidator.validate(doc);
  }

  @Test
  void aFewAliasesAreFineAndValidatedAtEachUse() {
    String yaml =
        Specs.validYaml()
            .replace("    policy:\n      max_tokens_in: 6000", "    policy: &strict\n      max_tokens_in: 6000");
    yaml = yaml.replaceFirst(
        "    policy:\n      max_tokens_in: 20000\n      max_tokens_out: 4000\n      budget_daily_usd: 250.50\n"
            + "      redaction:\n        mode: block\n        patterns:\n          - EMAIL\n          - CREDIT_CARD\n",
        "    policy: *strict\n");
    ValidationResult result = Specs.validate(yaml);
    Specs.assertValid(result);
    assertEquals(6000, result.spec().orElseThrow().route("legal-review").orElseThrow().policy().maxTokensIn());
  }

  @Test
  void deepNestingIsRefused() {
    String yaml = "version: " + "[".repeat(5000) + "]".repeat(5000) + "\n";
    Problem p = SpecLoader.parse(yaml, "parapet.yaml").syntaxProblems().get(0);
    assertEquals(Kind.SYNTAX, p.kind());
    assertTrue(p.message().contains("nested too deeply"), p::toString);
  }

  /** Set when anything constructs one; a spec must never be able to. */
  public static final class Tripwire {
    static volatile boolean constructed;

    public Tripwire() {
      constructed = true;
    }
  }

  @Test
  void customTagsAreProblemsAtTheirPathAndNeverInstantiated() {
    String yaml =
        Specs.validWith("notes: \"primary production tenant\"",
            "notes: !!dev.parapet.core.config.SpecLoaderTest$Tripwire {}");
    SpecDocument doc = SpecLoader.parse(yaml, "parapet.yaml");
    ValidationResult result = SpecValidator.validate(doc);
    assertFalse(Tripwire.constructed);
    Problem p = Specs.assertError(result, "tenants[0].notes", Kind.TYPE, 8, 12);
    assertEquals(1, result.errors().size(), () -> Specs.dump(result.errors()));
    assertTrue(p.message().startsWith("tag \"!!dev.parapet.core.config.SpecLoaderTest$Tripwire\" is not allowed"), p::toString);
    // tags on scalars too, and every one is reported at once
    ValidationResult two = Specs.validate(Specs.validYaml()
        .replace("username: trip", "username: !!java.net.URL http://x")
        .replace("budget_daily_usd: 500", "budget_daily_usd: !!javax.script.ScriptEngineManager [x]"));
    Specs.assertError(two, "users[0].username", Kind.TYPE, 85, 15);
    Specs.assertError(two, "routes[0].policy.budget_daily_usd", Kind.TYPE, 21, 25);
    assertEquals(2, two.errors().size(), () -> Specs.dump(two.errors()));

    // local tags are refused the same way
    ValidationResult local = Specs.validate(Specs.validWith("notes: \"primary production tenant\"", "notes: !note hi"));
    Problem tag = Specs.assertError(local, "tenants[0].notes", Kind.TYPE, 8, 12);
    assertTrue(tag.message().contains("tag \"!note\" is not allowed"), tag::toString);
    for (String kind : List.of("!!binary aGk=", "!!set {a, b}", "!!omap [a: 1]")) {
      ValidationResult r = Specs.validate(Specs.validWith("notes: \"primary production tenant\"", "notes: " + kind));
      assertEquals(Kind.TYPE, Specs.only(r, "tenants[0].notes").kind(), kind);
    }
  }

  @Test
  void mergeKeysAreRefusedRatherThanHalfSupported() {
    String yaml = Specs.validWith("      budget_daily_usd: 500\n", "      <<: {budget_daily_usd: 500}\n");
    ValidationResult r = Specs.validate(yaml);
    Problem p = Specs.assertError(r, "routes[0].policy[\"<<\"]", Kind.VALUE, 21, 7);
    assertTrue(p.message().contains("merge keys"), p::toString);
  }

  @Test
  void invalidUtf8AndUnreadableFilesAreProblems() throws IOException {
    Path bad = dir.resolve("bad.yaml");
    Files.write(bad, new byte[] {'a', ':', ' ', (byte) 0xC3, (byte) 0x28});
    assertTrue(SpecLoader.load(bad).syntaxProblems().get(0).message().contains("UTF-8"));
    Problem missing = SpecLoader.load(dir.resolve("nope.yaml")).syntaxProblems().get(0);
    assertEquals(Kind.IO, missing.kind());
    assertTrue(missing.message().contains("NoSuchFileException"), missing::toString);
  }

  @Test
  void byteOrderMarkIsIgnored() throws IOException {
    Path file = dir.resolve("bom.yaml");
    byte[] text = Specs.validYaml().getBytes(StandardCharsets.UTF_8);
    byte[] withBom = new byte[text.length + 3];
    withBom[0] = (byte) 0xEF;
    withBom[1] = (byte) 0xBB;
    withBom[2] = (byte) 0xBF;
    System.arraycopy(text, 0, withBom, 3, text.length);
    Files.write(file, withBom);
    Specs.assertValid(SpecValidator.validate(SpecLoader.load(file)));
  }
}
