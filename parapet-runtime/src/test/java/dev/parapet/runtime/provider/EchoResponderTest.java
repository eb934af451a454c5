package dev.parapet.runtime.provider;

import static dev.parapet.runtime.provider.TestRoutes.json;
import static dev.parapet.runtime.provider.TestRoutes.route;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EchoResponderTest {
  private final EchoResponder echo =
      new EchoResponder(Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC), () -> "chatcmpl-echo-1");
  private final Route route = route(ProviderType.ECHO, "echo-1", Optional.empty());

  // cl100k: "The quick brown fox jumps over the lazy dog." = 10, "be brief" = 2 tokens.
  private static final ObjectNode REQUEST = json("{\"messages\":["
      + "{\"role\":\"system\",\"content\":\"be brief\"},"
      + "{\"role\":\"user\",\"content\":\"ignored\"},"
      + "{\"role\":\"assistant\",\"content\":null},"
      + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"The quick brown fox \"},"
      + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:,\"}},{\"type\":\"text\",\"text\":\"jumps over the lazy dog.\"}]}]}");

  @Test
  void answersWithTheLastUserMessageAndCountsUsage() {
    Translated t = echo.answer(route, REQUEST);
    // prompt: (4+2) + (4+1) + (4+0) + (4+10) + 3 = 32
    assertEquals("{\"id\":\"chatcmpl-echo-1\",\"object\":\"chat.completion\",\"created\":1700000000,"
        + "\"model\":\"echo-1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        + "\"content\":\"The quick brown fox jumps over the lazy dog.\"},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":32,\"completion_tokens\":10,\"total_tokens\":42}}", Json.write(t.body()));
    assertEquals(Optional.of("echo-1"), t.reportedModel());
    assertEquals(Optional.of(new Usage(32, 10)), t.usage());
    assertEquals(32, ChatMessages.promptTokens(route, REQUEST), "enforcement and echo agree");
  }

  @Test
  void maxTokensTruncatesTheEchoWithFinishReasonLength() {
    ObjectNode request = REQUEST.deepCopy();
    request.put("max_tokens", 4);
    Translated t = echo.answer(route, request);
    assertEquals("The quick brown fox", t.body().at("/choices/0/message/content").asText());
    assertEquals("length", t.body().at("/choices/0/finish_reason").asText());
    assertEquals(Optional.of(new Usage(32, 4)), t.usage());
  }

  @Test
  void streamsWordByWordWithOptionalUsage() {
    ObjectNode request = json("{\"messages\":[{\"role\":\"user\",\"content\":\"hello  big world\"}],\"max_completion_tokens\":10}");
    String head = "{\"id\":\"chatcmpl-echo-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"echo-1\",";
    List<String> expected = List.of(
        head + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}",
        head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hello\"},\"finish_reason\":null}]}",
        head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"  big\"},\"finish_reason\":null}]}",
        head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"},\"finish_reason\":null}]}",
        head + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
        head + "\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":4,\"total_tokens\":15}}",
        "[DONE]");
    // prompt (4 + 4) + 3: "hello  big world" is 4 cl100k tokens
    assertEquals(expected, StreamChunks.jsonOf(echo.streamPayloads(route, request, true)));
    List<String> withoutUsage = new java.util.ArrayList<>(expected);
    withoutUsage.remove(5);
    assertEquals(withoutUsage, StreamChunks.jsonOf(echo.streamPayloads(route, request, false)));
    // The stream reports the model and usage its usage chunk and the whole answer carry.
    EchoResponder.Stream stream = echo.stream(route, request, false);
    assertEquals("echo-1", stream.model());
    assertEquals(new Usage(11, 4), stream.usage());
    assertEquals(echo.answer(route, request).usage(), Optional.of(stream.usage()));
  }

  @Test
  void noUserMessageEchoesNothing() {
    Translated t = echo.answer(route, json("{\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}"));
    assertEquals("", t.body().at("/choices/0/message/content").asText());
    assertEquals(List.of("[DONE]"), StreamChunks.jsonOf(echo.streamPayloads(route, json("{\"messages\":[]}"), false)).subList(2, 3));
  }

  @Test
  void wordsJoinBackExactly() {
    for (String s : List.of("", " ", "a", " a b  c\n", "\u00e9t\u00e9 \uD83D\uDE00 ok")) {
      assertEquals(s, String.join("", EchoResponder.words(s)));
    }
    assertEquals(List.of("a", " b", "  c"), EchoResponder.words("a b  c"));
  }
}
