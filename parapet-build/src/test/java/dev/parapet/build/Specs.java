package dev.parapet.build;

import java.util.LinkedHashMap;
import java.util.Map;

/** Spec texts and secret values the tests build from. */
final class Specs {
  private Specs() {}

  /** Canary values: any of these in any output is a leak. */
  static final String OPENAI_KEY = "sk-CANARYopenaiKEY0123456789abcdefXYZ";
  static final String TOKEN_A = "tok-CANARYserviceA-0123456789abcdefghijklmnop";
  static final String TOKEN_B = "tok-CANARYserviceB-0123456789abcdefghijklmnop";
  static final String ADMIN_PW = "pw-CANARYadminPassw0rd!";

  static final String VALID = """
      version: 1
      tenants:
        - name: prod
          spend:
            daily_usd_cap: 1000
      routes:
        - name: demo-echo
          tenant: prod
          provider:
            type: echo
            model: echo-1
          policy:
            max_tokens_in: 4000
            max_tokens_out: 512
            budget_daily_usd: 5
            drift_strict: true
            redaction:
              mode: warn
              patterns: [EMAIL]
        - name: summarizer
          tenant: prod
          provider:
            type: openai
            model: gpt-4o-2024-08-06
            provider_key_ref: OPENAI_KEY_PROD
          policy:
            max_tokens_in: 6000
            max_tokens_out: 2000
            budget_daily_usd: 500
            drift_strict: true
            redaction:
              mode: block
              patterns: [EMAIL, API_KEY]
      services:
        - label: service-a
          tenant: prod
          allowed_routes: [demo-echo, summarizer]
          parapet_token_ref: SERVICE_A_TOKEN
        - label: service-b
          tenant: prod
          allowed_routes: [demo-echo]
          parapet_token_ref: SERVICE_B_TOKEN
      users:
        - username: trip
          role: admin
          password_ref: PARAPET_ADMIN_TRIP_PW
      """;

  static Map<String, String> secrets() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("OPENAI_KEY_PROD", OPENAI_KEY);
    m.put("SERVICE_A_TOKEN", TOKEN_A);
    m.put("SERVICE_B_TOKEN", TOKEN_B);
    m.put("PARAPET_ADMIN_TRIP_PW", ADMIN_PW);
    return m;
  }

  static String dotenv(Map<String, String> values) {
    StringBuilder sb = new StringBuilder("# test secrets\n");
    values.forEach((k, v) -> sb.append("export ").append(k).append("='").append(v).append("'\n"));
    return sb.toString();
  }

  static String[] canaries() {
    return new String[] {OPENAI_KEY, TOKEN_A, TOKEN_B, ADMIN_PW, "CANARY"};
  }
}
