package dev.parapet.runtime.boot;

import java.io.PrintStream;
import java.lang.reflect.Method;
import java.util.Map;

/** Reaches Main.run (package-private in dev.parapet.runtime) from this package's tests. */
final class MainAccess {
  private MainAccess() {}

  static int run(Map<String, String> env, PrintStream err) throws Exception {
    Method run = Class.forName("dev.parapet.runtime.Main").getDeclaredMethod("run", Map.class, PrintStream.class);
    run.setAccessible(true);
    return (int) run.invoke(null, env, err);
  }
}
