package dev.parapet.runtime;

import static dev.parapet.runtime.AnswerPolicyEndToEndTest.chunk;
import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.store.EventRow;
import dev.parapet.core.store.RequestRecord;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The drift lock over every place an OpenAI-format stream reports its model, over real sockets:
 * every chunk repeats {@code model}, so a later chunk naming another model than the first is
 * drift too; a chunk naming none (Azure OpenAI's first chunk, {@code "model":""} with its
 * {@code prompt_filter_results}) reports nothing.
 */
class StreamDriftEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OTHER = "gpt-4o-2024-11-20";
  private static final String ASK = "{\"stream\":true,\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  @TempDir Path tmp;

  private SealedGateway gateway(URI base) {
    List<Route> routes = List.of(
        SealedGateway.openAi("strict", base, SealedGateway.policy(6000, 50, "5", true, RedactionPolicy.OFF), List.of()),
        SealedGateway.openAi("loose", base, SealedGateway.policy(6000, 50, "5", false, RedactionPolicy.OFF), List.of()));
    return new SealedGateway(tmp.resolve("data"), Optional.empty(), routes);
  }

  private static MockResponse stream(String... events) {
    return new MockResponse.Builder().addHeader("Content-Type", "text/event-stream")
        .body(String.join("", events) + "data: [DONE]\n\n").build();
  }

  /** A usage-only chunk, as OpenAI ends a stream asked for usage (Parapet asks on its own behalf). */
  private static String usageChunk(String model) {
    return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model
        + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2,\"total_tokens\":10}}\n\n";
  }

  private static String noModelChunk(String content) {
    return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
        + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":null}]}\n\n";
  }

  private static void assertCutForDrift(HttpResponse<String> r, String sent, String withheld) throws Exception {
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains(sent), r.body());
    assertFalse(r.body().contains(withheld), r.body());
    String[] events = r.body().split("\n\n");
    assertEquals("data: [DONE]", events[events.length - 1]);
    String error = events[events.length - 2];
    assertTrue(error.startsWith("data: "), r.body());
    assertEquals("model_drift", JSON.readTree(error.substring(6)).path("error").path("code").asText(), r.body());
  }

  private static List<EventRow> driftEvents(SealedGateway sg) throws Exception {
    List<EventRow> out = new ArrayList<>();
    sg.withStore(store -> out.addAll(store.events(Optional.empty(), Optional.of(EventKind.MODEL_DRIFT), 50)));
    return out;
  }

  private static RequestRecord row(SealedGateway sg, HttpResponse<String> r) throws Exception {
    String id = r.headers().firstValue("x-parapet-request-id").orElseThrow();
    List<RequestRecord> out = new ArrayList<>();
    sg.withStore(store -> out.add(store.request(id).orElseThrow()));
    return out.get(0);
  }

  @Test
  void aLaterChunkReportingAnotherModelCutsAStrictStream() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      HttpResponse<String> afterPinned;
      HttpResponse<String> afterNone;
      HttpResponse<String> inUsage;
      try (Gateway g = sg.start()) {
        provider.enqueue(stream(chunk(SealedGateway.MODEL, "fp_1", "first"), chunk(OTHER, "fp_1", "leak"),
            chunk(SealedGateway.MODEL, "fp_1", "more")));
        afterPinned = post(g.port(), "/routes/strict", ASK);
        assertCutForDrift(afterPinned, "first", "leak");

        provider.enqueue(stream(noModelChunk("first"), chunk(OTHER, "fp_1", "leak")));
        afterNone = post(g.port(), "/routes/strict", ASK);
        assertCutForDrift(afterNone, "first", "leak");

        // The usage chunk Parapet asked for itself is not forwarded; the model it names still counts.
        provider.enqueue(stream(chunk(SealedGateway.MODEL, "fp_1", "first"), usageChunk(OTHER)));
        inUsage = post(g.port(), "/routes/strict", ASK);
        assertCutForDrift(inUsage, "first", OTHER);
      }
      List<EventRow> drift = driftEvents(sg);
      assertEquals(3, drift.size(), drift.toString());
      for (EventRow e : drift) {
        assertEquals(OTHER, e.details().get("reported"), e.toString());
        assertEquals("true", e.details().get("strict"), e.toString());
      }
      for (HttpResponse<String> r : List.of(afterPinned, afterNone, inUsage)) {
        RequestRecord row = row(sg, r);
        assertEquals(Optional.of("model_drift"), row.errorCode(), row.toString());
        assertEquals(Optional.of(OTHER), row.modelReported(), row.toString());
      }
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aLaterChunkReportingAnotherModelIsRecordedOnceOnALooseRoute() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        provider.enqueue(stream(chunk(SealedGateway.MODEL, "fp_1", "first"), chunk(OTHER, "fp_1", "second"),
            chunk(OTHER, "fp_1", "third")));
        HttpResponse<String> r = post(g.port(), "/routes/loose", ASK);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("third") && r.body().endsWith("data: [DONE]\n\n"), r.body());
      }
      List<EventRow> drift = driftEvents(sg);
      assertEquals(1, drift.size(), drift.toString());
      assertEquals(OTHER, drift.get(0).details().get("reported"));
      assertEquals("false", drift.get(0).details().get("strict"));
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aChunkNamingNoModelPassesAStrictStream() throws Exception {
    // Azure OpenAI's first chunk: no choices, model "", its prompt filter results.
    String azureFirst = "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":"
        + "[{\"prompt_index\":0,\"content_filter_results\":{\"hate\":{\"filtered\":false,\"severity\":\"safe\"}}}]}\n\n";
    String wholeWithoutModel = SealedGateway.completion("", "fine", 8, 2);
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = gateway(provider.url("/v1").uri());
      try (Gateway g = sg.start()) {
        provider.enqueue(stream(azureFirst, chunk(SealedGateway.MODEL, "fp_1", "hello"),
            chunk(SealedGateway.MODEL, "fp_1", " there")));
        HttpResponse<String> r = post(g.port(), "/routes/strict", ASK);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains(" there") && r.body().endsWith("data: [DONE]\n\n"), r.body());

        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json")
            .body(wholeWithoutModel).build());
        HttpResponse<String> whole = post(g.port(), "/routes/strict", SealedGateway.chat("hi", 5));
        assertEquals(200, whole.statusCode(), whole.body());
      }
      assertEquals(List.of(), driftEvents(sg));
    }
    LeakWatch.assertNoLeaks();
  }
}
