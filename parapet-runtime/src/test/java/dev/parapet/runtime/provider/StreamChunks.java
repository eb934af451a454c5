package dev.parapet.runtime.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/** Test helper: a translator's payloads as the caller reads them, each checked against its tree. */
public final class StreamChunks {
  private static final ObjectMapper JSON = new ObjectMapper();

  private StreamChunks() {}

  /**
   * The payload texts, after checking that every chunk's tree is exactly its text parsed (the
   * policies read the tree, the caller reads the text: they must never disagree).
   */
  public static List<String> jsonOf(List<StreamChunk> chunks) {
    List<String> out = new ArrayList<>(chunks.size());
    for (StreamChunk c : chunks) {
      if (c.isDone()) {
        assertTrue(c.chunk().isMissingNode(), "[DONE] carries no tree");
      } else {
        try {
          // Through text on both sides: a built tree holds a long where a parse holds an int.
          assertEquals(JSON.readTree(c.json()), JSON.readTree(JSON.writeValueAsString(c.chunk())),
              "tree and text disagree: " + c.json());
        } catch (JsonProcessingException e) {
          throw new AssertionError("payload is not JSON: " + c.json(), e);
        }
      }
      out.add(c.json());
    }
    return out;
  }

  /** A chunk as a provider would send it: the text and its parse. */
  public static StreamChunk parsed(String json) {
    try {
      return new StreamChunk(json, JSON.readTree(json));
    } catch (JsonProcessingException e) {
      throw new AssertionError("not JSON: " + json, e);
    }
  }
}
