package dev.parapet.core.redact;

import dev.parapet.core.config.RedactionPattern;
import java.util.List;

/**
 * The RE2 source of each built-in pattern, the checks a regex cannot express (Luhn, IPv4
 * exclusions), and closed forms of the shapes that {@link Redactor} decides without re2j (each
 * one's javadoc says why its match is forced). See {@code docs/redaction.md} for what each
 * catches and misses.
 *
 * <p>Every regex here runs on caller text, so it is RE2 syntax only (re2j: no backreferences, no
 * lookaround) and uses non-capturing groups: {@link Redactor} wraps each in one capturing group of
 * a combined alternation and reads the group number to know which pattern matched.
 */
final class Shapes {
  private Shapes() {}

  /**
   * Priority order of the alternation. re2j is leftmost-first: among matches starting at the same
   * position the earlier alternative wins. Specific, structured shapes come first so that, e.g.,
   * {@code Bearer eyJ…} is one BEARER_TOKEN and a PEM block is not split into smaller matches.
   * IPV4 and CREDIT_CARD come last: their regexes match whole runs of numbers that Java then
   * checks, and every other pattern that could start at the same place must win there.
   */
  static final List<RedactionPattern> PRIORITY = List.of(
      RedactionPattern.PRIVATE_KEY,
      RedactionPattern.JWT,
      RedactionPattern.BEARER_TOKEN,
      RedactionPattern.API_KEY,
      RedactionPattern.EMAIL,
      RedactionPattern.IPV4,
      RedactionPattern.CREDIT_CARD);

  static String regex(RedactionPattern p) {
    return switch (p) {
      case EMAIL ->
          // Local part (RFC 5322 dot-atom characters), a domain of labels starting with a letter
          // or digit, and an alphabetic TLD. No counted repetition: re2j has no DFA, and every
          // {m,n} multiplies the states its NFA tracks per character.
          "[A-Za-z0-9._%+-]+@[A-Za-z0-9][A-Za-z0-9-]*(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}";
      case API_KEY -> String.join("|",
          // OpenAI (sk-, sk-proj-, sk-svcacct-) and Anthropic (sk-ant-api03-…): 20+ key chars.
          "\\bsk-[A-Za-z0-9_-]{20,}",
          // AWS access key ids (long-term AKIA, temporary ASIA): exactly 16 more.
          "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b",
          // GitHub classic tokens (36 chars after the prefix) and fine-grained PATs.
          "\\bgh[pousr]_[A-Za-z0-9]{36,}",
          "\\bgithub_pat_[A-Za-z0-9_]{22,}",
          // Slack bot/user/app/refresh/service tokens.
          "\\bxox[bpars]-[A-Za-z0-9-]{10,}");
      case BEARER_TOKEN ->
          // RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=";
          // the scheme is case-insensitive (RFC 9110 §11.1). 16+ chars keeps "Bearer tokens" out.
          "\\b(?i:bearer) +[A-Za-z0-9._~+/-]{16,}=*";
      case JWT ->
          // RFC 7519: base64url header and claims, both JSON objects, so both start "eyJ" ('{"').
          // The signature may be empty (alg "none").
          "\\beyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]*";
      case PRIVATE_KEY ->
          // RFC 7468 label, then either a body up to the END line (the body may not contain "--",
          // which also stops the scan at the next PEM boundary), or, with no END, the base64 and
          // RFC 1421 header lines that follow: a truncated key is still a leak.
          "-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED) )?PRIVATE KEY-----"
              + "(?:(?:[^-]|-[^-])*-----END (?:[A-Z0-9]+ )?PRIVATE KEY-----"
              + "|(?:\\s+(?:[A-Za-z0-9+/=]{16,}|Proc-Type:[^\\n]*|DEK-Info:[^\\n]*))*)";
      case CREDIT_CARD ->
          // A whole run of digit groups joined by single spaces or dashes, starting with a group of
          // 4+ digits as every card does (so "5 apples" is never a candidate); CardNumbers finds
          // the Luhn-valid 13-19 digit cards inside it.
          "\\b[0-9]{4}[0-9]*(?:[ -][0-9]+)*\\b";
      case IPV4 ->
          // A whole dotted run of numbers; exactly four parts of 0-255 is checked in Java, so a
          // longer dotted number (a version string) is rejected in one step.
          "\\b[0-9]+(?:\\.[0-9]+)+\\b";
    };
  }

  /**
   * Emits the accepted matches of a regex candidate of {@code p} at {@code [start, end)} and
   * returns where the search resumes (always after {@code start}), or -1 if the visitor stopped.
   */
  static int expand(RedactionPattern p, CharSequence text, int start, int end, Redactor.MatchVisitor v) {
    return switch (p) {
      case CREDIT_CARD -> CardNumbers.expand(text, start, end, v);
      case IPV4 -> !acceptIpv4(text, start, end) || v.visit(new Match(p, start, end)) ? end : -1;
      default -> v.visit(new Match(p, start, end)) ? end : -1;
    };
  }

  /**
   * A dotted run counts as an address if it has exactly four parts, each 0-255 without a leading
   * zero, and it is not one of the addresses that identify no host: {@code 0.0.0.0} and loopback
   * {@code 127.0.0.0/8}. Those appear in every config snippet and would make {@code block} mode
   * refuse harmless questions; private ranges (10/8, 192.168/16, ...) are kept, since they reveal
   * internal topology.
   */
  private static boolean acceptIpv4(CharSequence text, int start, int end) {
    int[] parts = new int[4];
    int n = 0;
    int i = start;
    while (i < end) {
      int j = i;
      while (j < end && text.charAt(j) != '.') {
        j++;
      }
      int len = j - i;
      if (n == 4 || len > 3 || (len > 1 && text.charAt(i) == '0')) {
        return false;
      }
      int v = Integer.parseInt(text.subSequence(i, j).toString());
      if (v > 255) {
        return false;
      }
      parts[n++] = v;
      i = j + 1;
    }
    if (n != 4) {
      return false;
    }
    boolean unspecified = parts[0] == 0 && parts[1] == 0 && parts[2] == 0 && parts[3] == 0;
    return !unspecified && parts[0] != 127;
  }

  /**
   * Where the EMAIL match whose {@code @} is at {@code at} ends, or -1 if there is none: the
   * closed form of the regex's domain, {@code [A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}},
   * under leftmost-first matching. Labels are maximal runs (the next token needs a dot, which no
   * label holds), so the only choice is how many labels come before the TLD, and greedy takes the
   * most: the match ends after the letters that follow the last dot of the chain of labels that
   * has two or more letters after it (e.g. {@code a@b.cc.d1} ends after {@code cc}; {@code a@b.com1}
   * after {@code com}).
   */
  static int emailDomainEnd(CharSequence text, int at) {
    int n = text.length();
    int i = at + 1;
    if (i >= n || !asciiAlnum(text.charAt(i))) {
      return -1;
    }
    i = Run.LABEL.end(text, i);
    int end = -1;
    while (i < n && text.charAt(i) == '.') {
      int letters = Run.LETTERS.end(text, i + 1);
      if (letters - (i + 1) >= 2) {
        end = letters;
      }
      int next = Run.LABEL.end(text, i + 1);
      if (next == i + 1) {
        break; // a dot with no label after it ends the domain
      }
      i = next;
    }
    return end;
  }

  /**
   * Where the JWT match at {@code at} (which starts {@code eyJ}) ends, or -1: the closed form of
   * {@code \beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*}. No class holds a dot,
   * so every run is maximal and the match is forced.
   */
  static int jwtEnd(CharSequence text, int at) {
    if (at > 0 && wordChar(text.charAt(at - 1))) {
      return -1; // \b before 'e'
    }
    int i = at;
    for (int part = 0; part < 2; part++) {
      if (!Triggers.startsWith(text, i, "eyJ")) {
        return -1;
      }
      int run = Run.BASE64URL.end(text, i + 3);
      if (run - (i + 3) < 10 || run >= text.length() || text.charAt(run) != '.') {
        return -1;
      }
      i = run + 1;
    }
    return Run.BASE64URL.end(text, i);
  }

  /**
   * Where the BEARER_TOKEN match at {@code at} (which starts {@code bearer} in any case) ends, or
   * -1: the closed form of {@code \b(?i:bearer) +[A-Za-z0-9._~+/-]{16,}=*}. Neither class holds a
   * space or {@code =}, so every run is maximal.
   */
  static int bearerEnd(CharSequence text, int at) {
    if (at > 0 && wordChar(text.charAt(at - 1))) {
      return -1;
    }
    int n = text.length();
    int spaces = at + "bearer".length();
    int token = spaces;
    while (token < n && text.charAt(token) == ' ') {
      token++;
    }
    if (token == spaces) {
      return -1;
    }
    int end = Run.B64TOKEN.end(text, token);
    if (end - token < 16) {
      return -1;
    }
    while (end < n && text.charAt(end) == '=') {
      end++;
    }
    return end;
  }

  /**
   * Where the API_KEY match at {@code at} ends, or -1: the closed form of whichever alternative
   * of {@link #regex} the prefix at {@code at} selects (their prefixes are distinct): a maximal
   * run of at least N key characters, or, for AWS ids, exactly 16 followed by a word boundary.
   */
  static int apiKeyEnd(CharSequence text, int at) {
    if (at > 0 && wordChar(text.charAt(at - 1))) {
      return -1;
    }
    if (Triggers.startsWith(text, at, "sk-")) {
      return runOfAtLeast(text, at + 3, 20, Run.BASE64URL);
    }
    if (Triggers.startsWith(text, at, "AKIA") || Triggers.startsWith(text, at, "ASIA")) {
      int end = at + 20;
      if (end > text.length()) {
        return -1;
      }
      for (int i = at + 4; i < end; i++) {
        char c = text.charAt(i);
        if (!isDigit(c) && !(c >= 'A' && c <= 'Z')) {
          return -1;
        }
      }
      return end < text.length() && wordChar(text.charAt(end)) ? -1 : end;
    }
    if (Triggers.startsWith(text, at, "github_pat_")) {
      return runOfAtLeast(text, at + 11, 22, Run.WORD);
    }
    if (Triggers.ghToken(text, at)) {
      return runOfAtLeast(text, at + 4, 36, Run.ALNUM);
    }
    if (Triggers.slackToken(text, at)) {
      return runOfAtLeast(text, at + 5, 10, Run.LABEL);
    }
    return -1;
  }

  /** The character classes of {@link #regex}'s runs, each ASCII alphanumerics plus a few. */
  private enum Run {
    BASE64URL, // [A-Za-z0-9_-]: JWT parts, sk- keys
    WORD, // [A-Za-z0-9_]: github_pat_ keys
    ALNUM, // [A-Za-z0-9]: gh?_ keys
    LABEL, // [A-Za-z0-9-]: domain labels, Slack tokens
    LETTERS, // [A-Za-z]: a TLD
    B64TOKEN; // [A-Za-z0-9._~+/-]: RFC 6750 bearer tokens

    boolean has(char c) {
      if (this == LETTERS) {
        return asciiLetter(c);
      }
      return asciiAlnum(c) || switch (this) {
        case BASE64URL -> c == '_' || c == '-';
        case WORD -> c == '_';
        case LABEL -> c == '-';
        case B64TOKEN -> c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '-';
        default -> false;
      };
    }

    /** The end of the maximal run of this class from {@code from}. */
    int end(CharSequence text, int from) {
      int end = from;
      while (end < text.length() && has(text.charAt(end))) {
        end++;
      }
      return end;
    }
  }

  /** The end of the maximal run of {@code run} from {@code from} if it has {@code min} or more; else -1. */
  private static int runOfAtLeast(CharSequence text, int from, int min, Run run) {
    int end = run.end(text, from);
    return end - from >= min ? end : -1;
  }

  private static final List<String> PEM_KINDS = List.of("RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED ");

  /**
   * Where a PRIVATE_KEY header line at {@code at} ({@code -----BEGIN }) ends, or -1 if the text
   * there is not one: {@code -----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED) )?PRIVATE KEY-----}.
   */
  static int pemHeaderEnd(CharSequence text, int at) {
    if (!Triggers.startsWith(text, at, "-----BEGIN ")) {
      return -1;
    }
    int i = at + "-----BEGIN ".length();
    for (String kind : PEM_KINDS) {
      if (Triggers.startsWith(text, i, kind)) {
        i += kind.length();
        break;
      }
    }
    return Triggers.startsWith(text, i, "PRIVATE KEY-----") ? i + "PRIVATE KEY-----".length() : -1;
  }

  private static boolean asciiLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean asciiAlnum(char c) {
    return asciiLetter(c) || isDigit(c);
  }

  /** RE2's {@code \w}, which its {@code \b} is defined on: ASCII only. */
  private static boolean wordChar(char c) {
    return asciiAlnum(c) || c == '_';
  }

  static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /**
   * Whether {@code c} can occur inside a match of any pattern's streaming-relevant part (PEM is
   * detected by its header line). A character outside this set ends every match in progress, so
   * {@link OutputScanner} never needs to rescan text before the last such character.
   */
  static boolean canContinueMatch(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c)
        || c == ' ' || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '@'
        || c == '~' || c == '/' || c == '=';
  }
}
