package dev.parapet.runtime.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PromptImagesTest {
  private static final ProviderSpec GPT_4O = TestRoutes.route(ProviderType.OPENAI, "gpt-4o", Optional.empty()).provider();

  private static String png(int w, int h) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB), "png", out);
    return "data:image/png;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
  }

  @Test
  void everyImagePartOfEveryMessageCountsInEachShape() throws Exception {
    ObjectNode body = TestRoutes.json("""
        {"messages":[
          {"role":"system","content":"look carefully"},
          {"role":"user","content":[{"type":"text","text":"two pictures"},
            {"type":"image_url","image_url":{"url":"%s"}},
            {"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"low"}}]},
          {"role":"assistant","content":"a dog and a cat"},
          {"role":"user","content":[{"type":"image_url","image_url":"https://example.com/bare.png"},
            {"type":"image_url","image_url":{"url":"data:image/png;base64,not-an-image"}},
            {"type":"image_url"}]}]}""".formatted(png(1024, 1024)));
    // 765 (1024x1024, high) + 85 (a URL at low) + 1445 (a bare URL) + 1445 (unreadable) + 1445 (no url)
    assertEquals(new PromptImages(5, 765 + 85 + 3 * 1445), PromptImages.of(GPT_4O, body));
    assertEquals(PromptImages.NONE, PromptImages.of(GPT_4O, TestRoutes.json("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")));
    assertEquals(PromptImages.NONE, PromptImages.of(
        TestRoutes.route(ProviderType.ECHO, "gpt-4o", Optional.empty()).provider(), body), "echo sees no images");
  }

  @Test
  void pastFiveHundredImagesNoHeaderIsRead() throws Exception {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    ArrayNode content = body.putArray("messages").addObject().put("role", "user").putArray("content");
    String small = png(100, 100); // one tile: 255
    for (int i = 0; i < PromptImages.MAX_READ + 2; i++) {
      content.addObject().put("type", "image_url").putObject("image_url").put("url", small);
    }
    assertEquals(new PromptImages(PromptImages.MAX_READ + 2, PromptImages.MAX_READ * 255L + 2 * 1445),
        PromptImages.of(GPT_4O, body));
  }
}
