package dev.parapet.build;

import java.io.Console;

/** Prompts on the controlling terminal; secrets are read with echo off ({@link Console#readPassword}). */
final class ConsolePrompter implements Prompter {
  private final Console console;

  ConsolePrompter(Console console) {
    this.console = console;
  }

  @Override
  public String line(String prompt) throws CommandFailure {
    String line = console.readLine("%s", prompt);
    if (line == null) {
      throw Prompter.inputEnded();
    }
    return line;
  }

  @Override
  public char[] secret(String prompt) throws CommandFailure {
    char[] secret = console.readPassword("%s", prompt);
    if (secret == null) {
      throw Prompter.inputEnded();
    }
    return secret;
  }

  @Override
  public void say(String message) {
    console.printf("%s%n", message);
    console.flush();
  }
}
