package dev.parapet.core.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Paths into a spec as problems print them: {@code routes[0].policy.budget_daily_usd}. One
 * syntax for reporting and for {@link SpecDocument#set}, so a filler can feed a problem's path
 * straight back.
 */
final class SpecPath {
  sealed interface Segment permits Key, Index {}

  record Key(String name) implements Segment {}

  record Index(int index) implements Segment {}

  private SpecPath() {}

  /**
   * {@code parent.key}; a key that is not a plain name (an operator typo, or a hostile key with
   * control characters) is quoted, {@code parent["bad key"]}, so a path never carries raw text
   * into a terminal.
   */
  static String child(String parent, String key) {
    if (key.isEmpty() || key.length() > 100 || !key.chars().allMatch(c -> c < 128 && isKeyChar((char) c))) {
      return parent + "[" + Quoting.quote(key) + "]";
    }
    return parent.isEmpty() ? key : parent + "." + key;
  }

  static String item(String parent, int index) {
    return parent + "[" + index + "]";
  }

  /** Parses a path; throws {@link IllegalArgumentException} naming the bad spot. */
  static List<Segment> parse(String path) {
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException("path: \"\" (expected: a path like users[0].username)");
    }
    List<Segment> segments = new ArrayList<>();
    int i = 0;
    int n = path.length();
    while (i < n) {
      if (path.charAt(i) == '[') {
        int close = path.indexOf(']', i);
        if (close < 0 || segments.isEmpty()) {
          throw bad(path);
        }
        String digits = path.substring(i + 1, close);
        if (digits.isEmpty() || digits.length() > 6 || !digits.chars().allMatch(Character::isDigit)) {
          throw bad(path);
        }
        segments.add(new Index(Integer.parseInt(digits)));
        i = close + 1;
        if (i < n && path.charAt(i) == '.') {
          i++;
          if (i == n) {
            throw bad(path);
          }
        }
      } else {
        int start = i;
        while (i < n && isKeyChar(path.charAt(i))) {
          i++;
        }
        if (i == start) {
          throw bad(path);
        }
        segments.add(new Key(path.substring(start, i)));
        if (i < n && path.charAt(i) == '.') {
          i++;
          if (i == n) {
            throw bad(path);
          }
        } else if (i < n && path.charAt(i) != '[') {
          throw bad(path);
        }
      }
    }
    return segments;
  }

  private static boolean isKeyChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '_' || c == '-';
  }

  private static IllegalArgumentException bad(String path) {
    return new IllegalArgumentException(
        "path: " + Quoting.quote(path) + " (expected: a path like routes[0].policy.budget_daily_usd)");
  }
}
