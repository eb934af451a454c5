package dev.parapet.runtime.route;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.parapet.core.config.Route;
import java.io.IOException;
import java.util.List;

/**
 * {@code GET /v1/models} in OpenAI's list shape, and {@code GET /v1/models/{model}} as one entry of
 * it (https://platform.openai.com/docs/api-reference/models/object). The ids are route names: what
 * a caller puts in {@code model} on {@code /v1/chat/completions}.
 */
final class ModelList {
  static final JsonFactory JSON = new JsonFactory();

  private ModelList() {}

  static void write(JsonGenerator g, List<Route> routes) throws IOException {
    g.writeStartObject();
    g.writeStringField("object", "list");
    g.writeArrayFieldStart("data");
    for (Route route : routes) {
      writeOne(g, route);
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  static void writeOne(JsonGenerator g, Route route) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", route.name());
    g.writeStringField("object", "model");
    g.writeNumberField("created", 0);
    g.writeStringField("owned_by", "parapet");
    g.writeEndObject();
  }
}
