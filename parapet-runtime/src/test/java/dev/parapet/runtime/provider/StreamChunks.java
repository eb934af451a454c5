package dev.parapet.runtime.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

/** Test helper: a translator's payloads as the caller reads them, each checked against its summary. */
public final class StreamChunks {
  private StreamChunks() {}

  /**
   * The payload texts (hidden chunks, which send nothing, left out), after checking that every chunk's summary is exactly what reading its text
   * gives (the policies read the summary, the caller reads the text: they must never disagree).
   */
  public static List<String> jsonOf(List<StreamChunk> chunks) {
    List<String> out = new ArrayList<>(chunks.size());
    for (StreamChunk c : chunks) {
      if (c.isDone()) {
        assertEquals(ChunkSummary.NONE, c.summary(), "[DONE] summarises nothing");
      } else if (c.isHidden()) { // the caller reads nothing: it may only tell of output it never gets
        for (ChunkSummary.Choice choice : c.summary().choices()) {
          assertEquals(new ChunkSummary.Choice(choice.index(), java.util.Optional.empty(), false, "", choice.hiddenText()),
              choice, "a hidden chunk carries hidden text only");
        }
        continue;
      } else {
        try {
          assertEquals(OpenAiChunkReader.read(c.json(), "test"), c.summary(), "summary and text disagree: " + c.json());
        } catch (ProviderProtocolException e) {
          throw new AssertionError("payload does not read as a chunk: " + c.json(), e);
        }
      }
      out.add(c.json());
    }
    return out;
  }

  /** A chunk as a provider would send it: the text and what reading it gives. */
  public static StreamChunk parsed(String json) {
    try {
      return new StreamChunk(json, OpenAiChunkReader.read(json, "test"));
    } catch (ProviderProtocolException e) {
      throw new AssertionError("not a chunk: " + json, e);
    }
  }
}
