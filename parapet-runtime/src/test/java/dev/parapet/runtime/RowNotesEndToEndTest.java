package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.store.RequestRecord;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A call's telemetry row carries what the policies enforced on it (SPEC's "enforcement notes"):
 * a scrubbed prompt, a drift let through, a stream cut on an output pattern, and how a call
 * without reported usage was charged. Read back from the store by the call's request id.
 */
class RowNotesEndToEndTest {
  @TempDir Path tmp;

  @Test
  void aCallsRowNotesWhatWasEnforcedAndHowItWasCharged() throws Exception {
    RedactionPolicy scan = new RedactionPolicy(RedactionMode.WARN, List.of(RedactionPattern.EMAIL), true);
    List<String> deltas = new ArrayList<>(List.of(" write", " to", " bob@example.com", " now"));
    for (int i = 0; i < 20; i++) {
      deltas.add(" more" + i);
    }
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(AnswerPolicyEndToEndTest.json("gpt-4o-mini-2024-07-18", "fine", "fp_1"));
      provider.enqueue(AnswerPolicyEndToEndTest.sse(SealedGateway.MODEL, deltas));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("remote", provider.url("/v1").uri(),
              SealedGateway.policy(6000, 500, "5", false, scan), List.of())));
      String scrubbed;
      String cut;
      try (Gateway g = sg.start()) {
        HttpResponse<String> first = post(g.port(), "/routes/remote",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"mail alice@example.com please\"}]}");
        assertEquals(200, first.statusCode(), first.body());
        assertEquals("1", first.headers().firstValue("x-parapet-redactions").orElse(""));
        scrubbed = first.headers().firstValue("x-parapet-request-id").orElseThrow();
        HttpResponse<String> second = post(g.port(), "/routes/remote",
            "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertTrue(second.body().contains("stream_truncated"), second.body());
        assertTrue(!second.body().contains("bob@example.com"), "the match never reaches the caller");
        cut = second.headers().firstValue("x-parapet-request-id").orElseThrow();
      }
      RequestRecord[] rows = new RequestRecord[2];
      sg.withStore(store -> {
        rows[0] = store.request(scrubbed).orElseThrow();
        rows[1] = store.request(cut).orElseThrow();
      });
      assertEquals(List.of("redacted", "model_drift"), rows[0].notes());
      assertEquals(List.of(10L, 5L), List.of(rows[0].tokensIn(), rows[0].tokensOut()), "the reported usage");
      assertEquals(List.of("stream_truncated:scan_output:EMAIL", "usage:counted"), rows[1].notes());
      assertEquals(Optional.of("stream_truncated"), rows[1].errorCode());
      assertTrue(rows[1].tokensIn() > 0 && rows[1].tokensOut() > 0, rows[1].toString());
      assertEquals((rows[1].tokensIn() + rows[1].tokensOut()) * 1000L, rows[1].costNanoUsd(), "$1 per 1M either way");
      for (RequestRecord row : rows) {
        assertTrue(row.notes().stream().noneMatch(n -> n.contains("example.com")), "no match in a note");
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
