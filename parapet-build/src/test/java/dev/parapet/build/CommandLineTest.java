package dev.parapet.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandLineTest {
  @TempDir Path dir;

  @Test
  void parsesEveryCommand() throws Exception {
    assertInstanceOf(Options.Default.class, CommandLineParser.parse());
    assertEquals(new Options.Init(Optional.of("x.yaml")), CommandLineParser.parse("init", "--spec", "x.yaml"));
    assertEquals(new Options.Validate(Optional.empty(), true, true), CommandLineParser.parse("validate", "--fill", "--write"));
    assertEquals(
        new Options.Build(Optional.of("s.yaml"), "sec.env", Optional.of("mk"), Optional.of("o.env")),
        CommandLineParser.parse("build", "--spec=s.yaml", "--secrets", "sec.env", "--master-key-file", "mk", "--out", "o.env"));
    assertEquals(new Options.Build(Optional.empty(), "env", Optional.empty(), Optional.empty()), CommandLineParser.parse("build"));
    assertEquals(new Options.Inspect(Optional.of("st")), CommandLineParser.parse("inspect", "--state-file", "st"));
    assertEquals(new Options.Diff("a", "b"), CommandLineParser.parse("diff", "a", "b"));
  }

  @Test
  void usageErrorsExitTwoWithAHint() {
    String[][] bad = {
      {"frobnicate"},
      {"build", "--nope"},
      {"build", "--out"},
      {"build", "--secrets", "--out", "x"},
      {"validate", "--write"},
      {"validate", "--fill=yes"},
      {"diff", "only-one"},
      {"diff", "a", "b", "c"},
      {"inspect", "extra"},
      {"init", "--spec"},
    };
    for (String[] args : bad) {
      CliRun r = CliRun.run(dir, args);
      assertEquals(2, r.exit(), String.join(" ", args) + "\n" + r);
      assertTrue(r.err().contains("--help"), r.toString());
      assertEquals("", r.out());
    }
  }

  @Test
  void missingValueIsNamed() {
    CliRun r = CliRun.run(dir, "build", "--master-key-file");
    assertTrue(r.err().contains("--master-key-file: missing value"), r.toString());
  }

  @Test
  void helpAndVersionExitZero() {
    for (String arg : new String[] {"help", "--help", "-h"}) {
      CliRun r = CliRun.run(dir, arg);
      assertEquals(0, r.exit());
      assertTrue(r.out().contains("Usage: parapet-build"));
    }
    assertEquals(0, CliRun.run(dir, "build", "--help").exit());
    CliRun v = CliRun.run(dir, "--version");
    assertEquals(0, v.exit());
    assertTrue(v.out().startsWith("parapet-build "), v.toString());
  }

  @Test
  void helpAndVersionRefuseExtraArgumentsLikeEveryOtherCommand() {
    String[][] bad = {{"help", "extra"}, {"--help", "build"}, {"-h", "x"}, {"--version", "x"}, {"version", "--spec"}};
    for (String[] args : bad) {
      CliRun r = CliRun.run(dir, args);
      assertEquals(2, r.exit(), String.join(" ", args) + "\n" + r);
      assertTrue(r.err().contains(": " + args[0] + ": ") && r.err().contains(args[1]), r.toString());
      assertTrue(r.err().contains("--help"), r.toString());
      assertEquals("", r.out());
    }
    // As after any command, --help still asks for the help text.
    assertEquals(0, CliRun.run(dir, "--version", "--help").exit());
  }

  @Test
  void writeWithoutFillIsAUsageError() {
    assertThrows(UsageException.class, () -> CommandLineParser.parse("validate", "--write"));
  }
}
