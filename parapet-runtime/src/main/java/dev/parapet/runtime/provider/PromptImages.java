package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.tokens.ImageSize;
import dev.parapet.core.tokens.ImageTokens;
import java.util.Optional;

/**
 * The images of a chat request and the input tokens its route's model bills for them ({@link
 * ImageTokens}): every {@code image_url} part of every message's content. An inline {@code data:}
 * image is counted by the size its header gives ({@link ImageSize}); a URL, which Parapet never
 * fetches, by its model's maximum. Reading a header decodes a few bytes at known offsets (at most a
 * few thousand base64 chars per image, for at most {@value #MAX_READ} images), so this stays cheap
 * for megabytes of images and may run on an event loop.
 *
 * @param images how many image parts the request holds
 * @param tokens what they count together
 */
public record PromptImages(int images, long tokens) {
  public static final PromptImages NONE = new PromptImages(0, 0);

  private static final String BASE64 = ";base64,";
  /**
   * Headers read per request, at most: OpenAI takes up to 500 images in a call, Anthropic 100. Past
   * that an image counts at its model's maximum unread, so a body of many small images cannot make
   * this walk long, and a provider would refuse such a call anyway.
   */
  static final int MAX_READ = 500;

  /** The images of {@code request} as {@code provider}'s model counts them. */
  public static PromptImages of(ProviderSpec provider, JsonNode request) {
    ImageTokens rule = ImageTokens.forModel(provider.type(), provider.model());
    if (!rule.counts()) {
      return NONE;
    }
    int images = 0;
    long tokens = 0;
    for (JsonNode message : request.path("messages")) {
      JsonNode content = message.get("content");
      if (content == null || !content.isArray()) {
        continue;
      }
      for (JsonNode part : content) {
        if ("image_url".equals(part.path("type").asText())) {
          images++;
          tokens += tokens(rule, part.get("image_url"), images <= MAX_READ);
        }
      }
    }
    return images == 0 ? NONE : new PromptImages(images, tokens);
  }

  /** One part's {@code image_url}: an object with {@code url} and {@code detail}, or a bare string. */
  private static int tokens(ImageTokens rule, JsonNode imageUrl, boolean read) {
    JsonNode url = imageUrl == null ? null : imageUrl.isObject() ? imageUrl.get("url") : imageUrl;
    boolean low = imageUrl != null && "low".equals(imageUrl.path("detail").asText());
    return rule.tokens(read && url != null && url.isTextual() ? size(url.textValue()) : Optional.empty(), low);
  }

  private static Optional<ImageSize> size(String url) {
    if (!url.regionMatches(true, 0, "data:", 0, 5)) {
      return Optional.empty();
    }
    // The media type is short; a data URL whose "base64," sits far in is not one we can read.
    String head = url.length() > 160 ? url.substring(0, 160) : url;
    int marker = head.indexOf(BASE64, 5);
    return marker > 0 && marker < 128 ? ImageSize.ofBase64(url, marker + BASE64.length()) : Optional.empty();
  }
}
