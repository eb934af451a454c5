package dev.parapet.build;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads answers as lines from an input stream, prompting on {@code err}. Used when there is no
 * console (pipes, CI, tests). Secrets arrive as plain lines here: whoever pipes them in has them
 * already; they are still never echoed back.
 */
final class StreamPrompter implements Prompter {
  private final BufferedReader reader;
  private final PrintStream prompts;

  StreamPrompter(InputStream in, PrintStream prompts) {
    this.reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    this.prompts = prompts;
  }

  @Override
  public String line(String prompt) throws CommandFailure {
    prompts.print(prompt);
    prompts.flush();
    try {
      String line = reader.readLine();
      if (line == null) {
        prompts.println();
        throw Prompter.inputEnded();
      }
      return line;
    } catch (IOException e) {
      throw new CommandFailure("could not read input: " + e.getClass().getSimpleName());
    }
  }

  @Override
  public char[] secret(String prompt) throws CommandFailure {
    prompts.print(prompt);
    prompts.flush();
    try {
      // Read char by char so the secret never becomes an immutable String.
      char[] buf = new char[64];
      int n = 0;
      int c;
      while ((c = reader.read()) != -1 && c != '\n') {
        if (n == buf.length) {
          char[] bigger = Arrays.copyOf(buf, n * 2);
          Arrays.fill(buf, '\0');
          buf = bigger;
        }
        buf[n++] = (char) c;
      }
      if (c == -1 && n == 0) {
        prompts.println();
        throw Prompter.inputEnded();
      }
      if (n > 0 && buf[n - 1] == '\r') {
        n--;
      }
      char[] out = Arrays.copyOf(buf, n);
      Arrays.fill(buf, '\0');
      prompts.println();
      return out;
    } catch (IOException e) {
      throw new CommandFailure("could not read input: " + e.getClass().getSimpleName());
    }
  }

  @Override
  public void say(String message) {
    prompts.println(message);
  }
}
