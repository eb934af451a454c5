package dev.parapet.runtime;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.KeyPurpose;
import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.seal.Sealer;
import dev.parapet.core.seal.SecretValue;
import dev.parapet.core.store.GroupBy;
import dev.parapet.core.store.SpendKey;
import dev.parapet.core.store.StoreOptions;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.core.store.UsageRow;
import dev.parapet.runtime.boot.Boot;
import dev.parapet.runtime.testing.TestConfigs;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A gateway booted the production way (sealed blob, master key, data dir) for the enforcement
 * tests: one tenant {@code prod} (optional daily cap), service {@code svc-a} allowed on every
 * route, OpenAI-style routes pointing at a fake provider. Reboots reuse the data dir and key.
 */
final class SealedGateway {
  static final String PROVIDER_KEY = "sk-test-provider-key-31337";
  static final String MODEL = "gpt-4o-2024-08-06";
  static final Pricing ONE_USD_PER_1M = new Pricing(BigDecimal.ONE, BigDecimal.ONE);
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  final MasterKey key = MasterKey.generate(new SecureRandom());
  final Path dataDir;
  final HydratedConfig config;

  SealedGateway(Path dataDir, Optional<BigDecimal> tenantCap, List<Route> routes) {
    this(dataDir, tenantCap, routes, Map.of());
  }

  /** With {@code keys}, by ref, besides {@code OPENAI_KEY} ({@link #PROVIDER_KEY}). */
  SealedGateway(Path dataDir, Optional<BigDecimal> tenantCap, List<Route> routes, Map<String, String> keys) {
    this.dataDir = dataDir;
    Map<String, SecretValue> secrets = new HashMap<>(Map.of("OPENAI_KEY", SecretValue.of(PROVIDER_KEY)));
    keys.forEach((ref, value) -> secrets.put(ref, SecretValue.of(value)));
    ParapetSpec spec = new ParapetSpec(1, List.of(new Tenant("prod", tenantCap, Optional.empty())), routes,
        List.of(new Service("svc-a", "prod", routes.stream().map(Route::name).toList(), "SVC_A_TOKEN")), List.of());
    this.config = new HydratedConfig(spec, secrets,
        Map.of("svc-a", TestConfigs.digest(TestConfigs.TOKEN_A)), Map.of());
  }

  static Policy policy(int maxIn, int maxOut, String budgetUsd, boolean driftStrict, RedactionPolicy redaction) {
    return new Policy(maxIn, maxOut, new BigDecimal(budgetUsd), driftStrict, redaction);
  }

  static Route openAi(String name, URI base, Policy policy, List<String> allowedModels) {
    return openAi(name, base, policy, allowedModels, 5_000);
  }

  static Route openAi(String name, URI base, Policy policy, List<String> allowedModels, int timeoutMs) {
    return new Route(name, "prod", new ProviderSpec(ProviderType.OPENAI, MODEL, Optional.of("OPENAI_KEY"),
        Optional.of(base), allowedModels, Optional.of(ONE_USD_PER_1M), timeoutMs), policy);
  }

  /**
   * Two openai routes at {@code base}, both max_tokens_out 10: {@code limited} by max_tokens_in
   * {@code maxIn}, and {@code cheap}, at $1 per 1M tokens, by a daily budget of {@code cheapUsd}.
   */
  static List<Route> limitedAndCheap(URI base, int maxIn, int cheapMaxIn, String cheapUsd) {
    return List.of(openAi("limited", base, policy(maxIn, 10, "5", true, RedactionPolicy.OFF), List.of()),
        openAi("cheap", base, policy(cheapMaxIn, 10, cheapUsd, true, RedactionPolicy.OFF), List.of()));
  }

  static Route echo(String name, Policy policy) {
    return new Route(name, "prod", new ProviderSpec(ProviderType.ECHO, "echo-2024-01-01", Optional.empty(),
        Optional.empty(), List.of(), Optional.of(ONE_USD_PER_1M), 60_000), policy);
  }

  Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("PARAPET_BOOTSTRAP_STATE", Sealer.seal(config, key, new SecureRandom()));
    env.put("PARAPET_MASTER_KEY", key.toBase64());
    env.put("PARAPET_BIND", "127.0.0.1");
    env.put("PARAPET_PORT", "0");
    env.put("PARAPET_DATA_DIR", dataDir.toString());
    return env;
  }

  Gateway start() throws Exception {
    Map<String, String> env = env();
    return Boot.start(env, Wiring.production(env));
  }

  /** Today's settled spend in the store; the gateway must be closed (the store is locked). */
  Map<SpendKey, Long> spendToday() throws Exception {
    return withStore(s -> {});
  }

  Map<SpendKey, Long> withStore(StoreCheck check) throws Exception {
    try (TelemetryStore store = TelemetryStore.open(dataDir, key.deriveKey(KeyPurpose.STORE),
        key.deriveKey(KeyPurpose.STORE_MAC), StoreOptions.defaults())) {
      check.accept(store);
      return store.spendForDay(LocalDate.now(ZoneOffset.UTC));
    }
  }

  /** Today's telemetry rows of {@code route}, summed; the gateway must be closed. */
  UsageRow usageToday(String route) throws Exception {
    UsageRow[] found = {new UsageRow(route, 0, 0, 0, 0, 0)};
    withStore(store -> store.usage(LocalDate.now(ZoneOffset.UTC), LocalDate.now(ZoneOffset.UTC), GroupBy.ROUTE)
        .stream().filter(r -> r.group().equals(route)).findFirst().ifPresent(r -> found[0] = r));
    return found[0];
  }

  interface StoreCheck {
    void accept(TelemetryStore store) throws Exception;
  }

  static long route(Map<SpendKey, Long> spend, String route) {
    return spend.getOrDefault(SpendKey.route(route), 0L);
  }

  static HttpResponse<String> post(int port, String path, String body) throws Exception {
    return HTTP.send(request(port, path, body), HttpResponse.BodyHandlers.ofString());
  }

  static HttpRequest request(int port, String path, String body) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Authorization", "Bearer " + TestConfigs.TOKEN_A)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  /** {@code body} POSTed to {@code path} on a plain socket, flushed; the answer is the caller's to read. */
  static Socket postRaw(int port, String path, String body) throws IOException {
    byte[] json = body.getBytes(StandardCharsets.UTF_8);
    Socket s = new Socket("127.0.0.1", port);
    OutputStream out = s.getOutputStream();
    out.write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestConfigs.TOKEN_A
        + "\r\nContent-Type: application/json\r\nContent-Length: " + json.length + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.write(json);
    out.flush();
    return s;
  }

  /** Plain words, {@code chars} long or a little more. */
  static String words(int chars) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; sb.length() < chars; i++) {
      sb.append("word").append(i % 97).append(' ');
    }
    return sb.toString();
  }

  static String chat(String text, int maxTokens) {
    return "{\"max_tokens\":" + maxTokens + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
  }

  static String completion(String model, String content, long prompt, long completion) {
    return "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + model + "\","
        + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + content + "\"},"
        + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":"
        + completion + ",\"total_tokens\":" + (prompt + completion) + "}}";
  }

}
