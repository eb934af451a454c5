package dev.parapet.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * bench/run's {@code large} scenario: one connection sends prompts of {@link #LARGE_BYTES} of prose
 * (route {@code --prompt-model}: parsed, scanned, counted, held, encoded and forwarded) and one
 * asks for answers of that size without usage (route {@code --answer-model}: read, scanned,
 * counted), and one asks for streams whose first event carries that much text in one delta (route
 * {@code --stream-model}: read, counted, scanned, cut at max_tokens_out), back to back, while two probes send {@code GET /_parapet/health} every {@code
 * --probe-interval-ms}, each on its own keep-alive connection (the gateway deals connections to its
 * event loops in turn, so the two probes sit on different loops). A probe slower than 10 ms means
 * its loop was stalled, or the box starved the gateway (bench/README.md, caveats): the scenario
 * shows whether megabytes of one caller's text hold up everybody else's calls.
 *
 * <p>Prints {@code LARGE n .. p50_us .. p99_us .. max_us .. over10ms .. prompts .. answers ..
 * streams .. non200 .. errors ..}.
 */
public final class LargeCalls {
  /** The size of each large prompt's text and each large answer's text. */
  static final int LARGE_BYTES = 4_000_000;
  private static final String SENTENCE = "The quarter went well, and the team shipped the release on time. ";

  private LargeCalls() {}

  /** {@code bytes} of ASCII prose. */
  static String prose(int bytes) {
    StringBuilder sb = new StringBuilder(bytes + SENTENCE.length());
    while (sb.length() < bytes) {
      sb.append(SENTENCE);
    }
    sb.setLength(bytes);
    return sb.toString();
  }

  private static byte[] chat(String model, String text) {
    return chat(model, text, false);
  }

  private static byte[] chat(String model, String text, boolean stream) {
    return ("{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}")
        .getBytes(StandardCharsets.UTF_8);
  }

  public static void main(String[] args) throws Exception {
    String host = "127.0.0.1";
    int port = 0;
    String token = null;
    String promptModel = "bench-large-in";
    String answerModel = "bench-large-out";
    String streamModel = "bench-large-stream";
    long seconds = 15;
    long warmupS = 10;
    long intervalMs = 20;
    for (int i = 0; i < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(v);
        case "--token" -> token = v;
        case "--prompt-model" -> promptModel = v;
        case "--answer-model" -> answerModel = v;
        case "--stream-model" -> streamModel = v;
        case "--seconds" -> seconds = Long.parseLong(v);
        case "--warmup-s" -> warmupS = Long.parseLong(v);
        case "--probe-interval-ms" -> intervalMs = Long.parseLong(v);
        default -> {
          System.err.println("LargeCalls: unknown option " + args[i]);
          System.exit(2);
        }
      }
    }
    if (port == 0 || token == null) {
      System.err.println("usage: LargeCalls --port P --token T [--seconds S] [--warmup-s S]");
      System.exit(2);
    }
    URI uri = URI.create("http://" + host + ":" + port + "/v1/chat/completions");
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    HttpRequest prompt = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(chat(promptModel, prose(LARGE_BYTES)))).build();
    HttpRequest answer = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(chat(answerModel, "Tell me everything."))).build();
    HttpRequest stream = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(chat(streamModel, "Tell me everything.", true))).build();

    AtomicLong prompts = new AtomicLong();
    AtomicLong answers = new AtomicLong();
    AtomicLong streams = new AtomicLong();
    AtomicLong non200 = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    // Warm-up: the same calls, unprobed and uncounted, so the JIT has compiled the large paths.
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> senders = senders(http, List.of(prompt, answer, stream), stop,
        List.of(new AtomicLong(), new AtomicLong(), new AtomicLong()), new AtomicLong(), new AtomicLong());
    Thread.sleep(warmupS * 1000);
    stop.set(true);
    for (Thread t : senders) {
      t.join();
    }

    List<long[]> results = new ArrayList<>();
    List<Thread> probes = new ArrayList<>();
    long probeSeconds = seconds;
    long interval = intervalMs;
    int probePort = port;
    for (int i = 0; i < 2; i++) {
      long[][] slot = new long[1][];
      Thread t = new Thread(() -> {
        try {
          slot[0] = StreamHolder.probe(host, probePort, probeSeconds, interval);
        } catch (Exception e) {
          System.err.println("LargeCalls: probe failed: " + e);
          slot[0] = new long[0];
        }
        synchronized (results) {
          results.add(slot[0]);
        }
      }, "probe-" + i);
      probes.add(t);
      t.start();
      Thread.sleep(50); // connected one after the other: one probe per event loop
    }
    stop.set(false);
    senders = senders(http, List.of(prompt, answer, stream), stop, List.of(prompts, answers, streams), non200, errors);
    for (Thread t : probes) {
      t.join();
    }
    stop.set(true);
    for (Thread t : senders) {
      t.join();
    }
    long[] lat = results.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    long over10 = Arrays.stream(lat).filter(l -> l > 10_000_000L).count();
    System.out.printf(Locale.ROOT,
        "LARGE n %d p50_us %d p99_us %d max_us %d over10ms %d prompts %d answers %d streams %d non200 %d errors %d%n",
        lat.length, StreamHolder.pct(lat, 50) / 1000, StreamHolder.pct(lat, 99) / 1000,
        lat.length == 0 ? 0 : lat[lat.length - 1] / 1000, over10, prompts.get(), answers.get(), streams.get(), non200.get(),
        errors.get());
  }

  /**
   * One thread per request kind, each sending its request back to back until {@code stop} and
   * counting its 200s in {@code done}'s counter of the same index.
   */
  private static List<Thread> senders(HttpClient http, List<HttpRequest> kinds, AtomicBoolean stop,
      List<AtomicLong> done200, AtomicLong non200, AtomicLong errors) {
    List<Thread> threads = new ArrayList<>();
    for (int k = 0; k < kinds.size(); k++) {
      HttpRequest request = kinds.get(k);
      AtomicLong done = done200.get(k);
      Thread t = new Thread(() -> {
        while (!stop.get()) {
          try {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() == 200) {
              done.incrementAndGet();
            } else {
              non200.incrementAndGet();
            }
          } catch (Exception e) {
            errors.incrementAndGet();
          }
        }
      }, "large-" + k);
      threads.add(t);
      t.start();
    }
    return threads;
  }
}
