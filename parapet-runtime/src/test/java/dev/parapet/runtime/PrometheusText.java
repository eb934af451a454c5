package dev.parapet.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4: every line is a {@code # HELP},
 * a {@code # TYPE} or a sample {@code name{label="value",…} value}; every sample belongs to a
 * family declared by a {@code # TYPE} line before it; no family is declared twice and no series
 * appears twice. Anything else fails the parse, so the test fails.
 */
final class PrometheusText {
  private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") .*");
  private static final Pattern TYPE =
      Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
  private static final Pattern SAMPLE = Pattern.compile(
      "(" + NAME + ")(\\{(.*)\\})? ([-+]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]Inf|NaN)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");

  record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples;

  private PrometheusText(List<Sample> samples) {
    this.samples = samples;
  }

  static PrometheusText parse(String text) {
    if (!text.endsWith("\n")) {
      throw new AssertionError("exposition must end with a newline");
    }
    Map<String, String> types = new HashMap<>();
    Set<String> series = new java.util.HashSet<>();
    List<Sample> out = new ArrayList<>();
    for (String line : text.substring(0, text.length() - 1).split("\n", -1)) {
      if (line.startsWith("#")) {
        Matcher t = TYPE.matcher(line);
        if (t.matches()) {
          if (types.put(t.group(1), t.group(2)) != null) {
            throw new AssertionError("family declared twice: " + line);
          }
        } else if (!HELP.matcher(line).matches()) {
          throw new AssertionError("bad comment line: " + line);
        }
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      if (!m.matches()) {
        throw new AssertionError("not a sample line: " + line);
      }
      String name = m.group(1);
      if (!types.containsKey(family(name, types))) {
        throw new AssertionError("sample before its # TYPE: " + line);
      }
      Map<String, String> labels = labels(m.group(3), line);
      if (!series.add(name + labels)) {
        throw new AssertionError("series twice: " + line);
      }
      out.add(new Sample(name, labels, parseValue(m.group(4))));
    }
    return new PrometheusText(out);
  }

  private static String family(String name, Map<String, String> types) {
    if (types.containsKey(name)) {
      return name;
    }
    for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        String type = types.get(base);
        if ("histogram".equals(type) || "summary".equals(type)) {
          return base;
        }
      }
    }
    return name;
  }

  private static Map<String, String> labels(String body, String line) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (body == null || body.isEmpty()) {
      return labels;
    }
    Matcher l = LABEL.matcher(body);
    int at = 0;
    while (l.find(at) && l.start() == at) {
      if (labels.put(l.group(1), l.group(2)) != null) {
        throw new AssertionError("label twice: " + line);
      }
      at = l.end();
      if (at == body.length()) {
        return labels;
      }
      if (body.charAt(at) != ',') {
        break;
      }
      at++;
      if (at == body.length()) {
        return labels; // a trailing comma is allowed
      }
    }
    throw new AssertionError("bad labels: " + line);
  }

  private static double parseValue(String v) {
    return switch (v) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(v);
    };
  }

  /** The one series of {@code name} whose labels include {@code labelPairs}. */
  double value(String name, String... labelPairs) {
    List<Sample> found = matching(name, labelPairs);
    if (found.size() != 1) {
      throw new AssertionError(found.size() + " series of " + name + " match " + List.of(labelPairs));
    }
    return found.get(0).value();
  }

  boolean has(String name) {
    return samples.stream().anyMatch(s -> s.name().equals(name));
  }

  boolean hasSeries(String name, String... labelPairs) {
    return !matching(name, labelPairs).isEmpty();
  }

  /** Every sample whose name starts with {@code prefix}, as name and labels. */
  java.util.Set<String> series(String prefix) {
    return samples.stream().filter(s -> s.name().startsWith(prefix)).map(s -> s.name() + s.labels())
        .collect(java.util.stream.Collectors.toSet());
  }

  /** Every sample, in the order of the exposition. */
  List<Sample> samples() {
    return samples;
  }

  List<String> labelValues(String name, String label) {
    return samples.stream().filter(s -> s.name().equals(name)).map(s -> s.labels().get(label)).toList();
  }

  private List<Sample> matching(String name, String... labelPairs) {
    return samples.stream().filter(s -> s.name().equals(name)).filter(s -> {
      for (int i = 0; i < labelPairs.length; i += 2) {
        if (!labelPairs[i + 1].equals(s.labels().get(labelPairs[i]))) {
          return false;
        }
      }
      return true;
    }).toList();
  }
}
