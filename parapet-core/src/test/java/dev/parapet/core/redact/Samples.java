package dev.parapet.core.redact;

import dev.parapet.core.config.RedactionPattern;
import java.util.List;
import java.util.Map;

/**
 * Strings each pattern must and must not match. The must-match strings are fakes in realistic
 * shapes (AWS's documented example key, the jwt.io sample, the card networks' test numbers).
 */
final class Samples {
  private Samples() {}

  static final String RSA_BLOCK = "-----BEGIN RSA PRIVATE KEY-----\n"
      + "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
      + "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
      + "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo\n"
      + "-----END RSA PRIVATE KEY-----";

  static final String SK_PROJ = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAB7cDE0fGH";
  static final String SK_ANT = "sk-ant-api03-" + "R2D2c3poBB8kyLoRen0Hansolo4Leia5Chewie6xx-Q";
  static final String GHP = "ghp_" + "16C7e42F292c6912E7710c838347Ae178B4a";
  static final String XOXB = "xoxb-" + "1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx";
  static final String JWT_IO = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
      + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
      + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

  /** Per pattern: text that must match, and the exact substring matched. */
  static final Map<RedactionPattern, List<String[]>> MUST_MATCH = Map.of(
      RedactionPattern.EMAIL, List.of(
          row("please mail alice@example.com today", "alice@example.com"),
          row("bob.smith+tag@mail.example.co.uk wrote", "bob.smith+tag@mail.example.co.uk"),
          row("x_y%z@sub-domain.example.org", "x_y%z@sub-domain.example.org"),
          row("<carol@example.io>", "carol@example.io"),
          row("UPPER@EXAMPLE.COM.", "UPPER@EXAMPLE.COM"),
          row("dan@example.museum, and more", "dan@example.museum"),
          row("\"erin@10-4.example.net\"", "erin@10-4.example.net")),
      RedactionPattern.API_KEY, List.of(
          row("key=" + SK_PROJ + " ok", SK_PROJ),
          row("ANTHROPIC_API_KEY=" + SK_ANT, SK_ANT),
          row("sk-" + "T3BlbkFJabcdefghijklmnopqrstuvwxyz0123456789ABCD", "sk-T3BlbkFJabcdefghijklmnopqrstuvwxyz0123456789ABCD"),
          row("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
          row("temp ASIAY34FZKBOKMUTVV7A here", "ASIAY34FZKBOKMUTVV7A"),
          row("token: " + GHP, GHP),
          row("gho_" + "16C7e42F292c6912E7710c838347Ae178B4a", "gho_16C7e42F292c6912E7710c838347Ae178B4a"),
          row("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
          row("SLACK_TOKEN='" + XOXB + "'", XOXB)),
      RedactionPattern.BEARER_TOKEN, List.of(
          row("Authorization: Bearer abcdefghijklmnop1234", "Bearer abcdefghijklmnop1234"),
          row("authorization: bearer ya29.a0AfH6SMBx-long_token", "bearer ya29.a0AfH6SMBx-long_token"),
          row("BEARER abcDEF0123456789+/==", "BEARER abcDEF0123456789+/=="),
          row("curl -H 'Authorization: Bearer 0123456789abcdef0123'", "Bearer 0123456789abcdef0123"),
          row("Bearer  mF_9.B5f-4.1JqM~tail", "Bearer  mF_9.B5f-4.1JqM~tail"),
          row("use Bearer " + JWT_IO, "Bearer " + JWT_IO)),
      RedactionPattern.JWT, List.of(
          row(JWT_IO, JWT_IO),
          row("token=" + JWT_IO + "&x=1", JWT_IO),
          row("{\"id_token\":\"" + JWT_IO + "\"}", JWT_IO),
          row("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhYmMxMjMifQ. unsigned", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhYmMxMjMifQ."),
          row("cookie: session=eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJl;", "eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJl"),
          row("(eyJ0eXAiOiJKV1QifQ.eyJzY29wZSI6InJlYWQifQ.AbC-_dEf)", "eyJ0eXAiOiJKV1QifQ.eyJzY29wZSI6InJlYWQifQ.AbC-_dEf")),
      RedactionPattern.PRIVATE_KEY, List.of(
          row("here:\n" + RSA_BLOCK + "\nthanks", RSA_BLOCK),
          row("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
              "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"),
          row("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBYr\n-----END EC PRIVATE KEY-----",
              "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBYr\n-----END EC PRIVATE KEY-----"),
          row("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----",
              "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----"),
          row("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,ABCD\n\nMIIEpAIB\n-----END RSA PRIVATE KEY-----",
              "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,ABCD\n\nMIIEpAIB\n-----END RSA PRIVATE KEY-----"),
          // Truncated: no END. The header and the base64 lines after it still match; prose does not.
          row("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkq\nThanks!",
              "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkq"),
          row("-----BEGIN DSA PRIVATE KEY----- MIIBuwIBAAKBgQD -----END DSA PRIVATE KEY----- pasted on one line",
              "-----BEGIN DSA PRIVATE KEY----- MIIBuwIBAAKBgQD -----END DSA PRIVATE KEY-----")),
      RedactionPattern.CREDIT_CARD, List.of(
          row("card 4111 1111 1111 1111 exp 12/30", "4111 1111 1111 1111"),
          row("5555-5555-5555-4444", "5555-5555-5555-4444"),
          row("amex 3782 822463 10005.", "3782 822463 10005"),
          row("pan=4012888888881881;", "4012888888881881"),
          row("discover 6011111111111117", "6011111111111117"),
          row("old visa 4222222222222 (13 digits)", "4222222222222"),
          row("jcb:3530111333300000", "3530111333300000")),
      RedactionPattern.IPV4, List.of(
          row("ping 10.0.0.1 now", "10.0.0.1"),
          row("connect to 192.168.1.20:8080", "192.168.1.20"),
          row("resolver 8.8.8.8.", "8.8.8.8"),
          row("(172.16.254.1)", "172.16.254.1"),
          row("mask 255.255.255.255", "255.255.255.255"),
          row("host=203.0.113.7,port=22", "203.0.113.7")));

  /** Per pattern: text that must not match it. */
  static final Map<RedactionPattern, List<String>> MUST_NOT_MATCH = Map.of(
      RedactionPattern.EMAIL, List.of(
          "a@a@a@a", "user@localhost", "@example.com", "name@ is empty", "user at example dot com",
          "user@-example.com", "foo@bar", "price: 5 @ 3.50"),
      RedactionPattern.API_KEY, List.of(
          "sk-short", "task-force-reorganisation-plan-2025-q3", "AKIA1234", "AKIAIOSFODNN7EXAMPLEX",
          "ghp_short123", "xoxq-1234567890abcdef", "risk-assessment-framework-document-v2",
          "my sk- key"),
      RedactionPattern.BEARER_TOKEN, List.of(
          "the bearer of bad news", "Bearer token", "Bearer short123", "forbearer abcdefghijklmnopqrstu",
          "Bearer\nabcdefghijklmnopqrstu", "Bearer: abcdefghijklmnopqr", "Basic dXNlcjpwYXNzd29yZA=="),
      RedactionPattern.JWT, List.of(
          "eyJ.eyJ.", "eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9.payload.sig", "abc.def.ghi",
          "xeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0x.sig", "eyJhbGc.eyJzdWI.sig"),
      RedactionPattern.PRIVATE_KEY, List.of(
          "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----",
          "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----",
          "BEGIN RSA PRIVATE KEY", "keep your private key private",
          "-----END RSA PRIVATE KEY-----", "-----BEGIN RSA PUBLIC KEY-----"),
      RedactionPattern.CREDIT_CARD, List.of(
          "4111 1111 1111 1112", "1234 5678", "order 12345678901234567890123", "4111_1111_1111_1111",
          "phone +1 415 555 0100", "2024-11-22", "41111111111111111111", "4111111111111"),
      RedactionPattern.IPV4, List.of(
          "999.1.1.1", "1.2.3", "127.0.0.1", "0.0.0.0", "version 1.2.3.4.5", "256.1.1.1",
          "10.0.0.01", "a1.2.3.4"));

  private static String[] row(String text, String match) {
    return new String[] {text, match};
  }
}
