package dev.parapet.core.tokens;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import dev.parapet.core.config.ModelIds;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.text.Utf8;
import java.util.List;
import java.util.Objects;

/**
 * Counts tokens the way a route's provider will, so that {@code max_tokens_in} and budget holds
 * are decided before anything is sent.
 *
 * <p>OpenAI models are counted exactly with their published BPE (tiktoken's {@code o200k_base}
 * for the gpt-4o/gpt-4.1/o-series/gpt-5 families, {@code cl100k_base} for gpt-4 and gpt-3.5).
 * Anthropic publishes no tokenizer for Claude 3 and later, and local models use tokenizers we
 * cannot know from a model name; for those the count is an <em>estimate</em>: the
 * {@code cl100k_base} count times {@value #ESTIMATE_NUMERATOR}/{@value #ESTIMATE_DENOMINATOR},
 * rounded up, because those tokenizers usually produce more tokens than cl100k for the same text
 * and overestimating is the safe direction for a cap (a call is refused or a larger hold taken,
 * never a cap silently exceeded). The estimate is capped at the text's UTF-8 byte count, which
 * bounds every byte-level BPE (see {@link #upperBoundFromUtf8Bytes(int)}).
 *
 * <p>The {@code echo} provider is defined to count like OpenAI: by model name when it names an
 * OpenAI model, else exactly with {@code cl100k_base} (its own tokenizer).
 *
 * <p>Text is encoded as <em>ordinary</em> text: a prompt containing {@code <|endoftext|>} counts
 * that string's pieces instead of failing, as the provider APIs do.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class TokenCounter {
  /**
   * Framing tokens per message in OpenAI's chat format ({@code <|start|>role<|message|>...
   * <|end|>}): three framing tokens per the OpenAI cookbook "How to count tokens with tiktoken",
   * plus the role itself, which the cookbook counts as one of the message's values and which is
   * a single token for every chat role in both encodings.
   */
  public static final int TOKENS_PER_MESSAGE = 4;
  /** Every reply is primed with {@code <|start|>assistant<|message|>} (same cookbook). */
  public static final int TOKENS_REPLY_PRIMING = 3;

  static final int ESTIMATE_NUMERATOR = 5;
  static final int ESTIMATE_DENOMINATOR = 4;

  private final Encoding encoding;
  private final boolean estimated;
  private final CountCache cache; // null: every text counted
  private final String partition;
  private final int overhead;

  private TokenCounter(Encoding encoding, boolean estimated) {
    this(encoding, estimated, null, null, 0);
  }

  private TokenCounter(Encoding encoding, boolean estimated, CountCache cache, String partition, int overhead) {
    this.encoding = encoding;
    this.estimated = estimated;
    this.cache = cache;
    this.partition = partition;
    this.overhead = overhead;
  }

  /**
   * The same counter, remembering the counts of long texts in {@code cache} under
   * {@code partition} (see {@link CountCache}); counts are identical either way.
   */
  public TokenCounter cachingIn(CountCache cache, String partition) {
    return new TokenCounter(encoding, estimated, Objects.requireNonNull(cache, "cache"),
        Objects.requireNonNull(partition, "partition"), overhead);
  }

  /**
   * The same counter, with {@code tokens} more in every {@link #countMessages} count: prompt the
   * provider bills for a call that is in none of its texts (its images, {@link ImageTokens};
   * Anthropic's tool-use system prompt).
   */
  public TokenCounter withOverhead(int tokens) {
    if (tokens < 0) {
      throw new IllegalArgumentException("tokens: " + tokens + " (expected: >= 0)");
    }
    return tokens == overhead ? this : new TokenCounter(encoding, estimated, cache, partition, tokens);
  }

  /** The tokens {@link #countMessages} adds for prompt in none of the texts ({@link #withOverhead}). */
  public int overhead() {
    return overhead;
  }

  /**
   * Built once, on first use. Lazy: an encoding's BPE ranks are loaded when first asked for, so only
   * o200k_base and cl100k_base are ever in memory. The default registry also loaded r50k, p50k and
   * p50k_edit, which no counter uses: tens of MB of long-lived maps and their load time for nothing.
   * o200k_base is jtokkit's with its pre-tokenizer pattern spelled for speed ({@link O200kEncoding}):
   * the same tokens, about twice as fast.
   */
  private static final class Registry {
    static final EncodingRegistry INSTANCE =
        Encodings.newLazyEncodingRegistry().registerGptBytePairEncoding(O200kEncoding.params());
  }

  /**
   * Loads the BPE tables (o200k_base and cl100k_base: every counter uses one of them) and counts a
   * short text with each, so the first real count does not pay for loading. Safe to call from any
   * thread at any time, also while counts run: the registry is a lazy class initialisation.
   */
  public static void warmUp() {
    for (EncodingType type : List.of(EncodingType.O200K_BASE, EncodingType.CL100K_BASE)) {
      Registry.INSTANCE.getEncoding(type).countTokensOrdinary("Parapet warm-up: {\"role\": \"user\"}");
    }
  }

  /** The counter for a route pinned to {@code model} on a provider of {@code type}. */
  public static TokenCounter forModel(ProviderType type, String model) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(model, "model");
    EncodingType byName = openAiEncoding(ModelIds.openAiBase(model));
    return switch (type) {
      case ANTHROPIC -> estimate();
      case OPENAI, LOCAL -> byName != null ? exact(byName) : estimate();
      case ECHO -> exact(byName != null ? byName : EncodingType.CL100K_BASE);
    };
  }

  private static TokenCounter exact(EncodingType type) {
    return new TokenCounter(Registry.INSTANCE.getEncoding(type), false);
  }

  private static TokenCounter estimate() {
    return new TokenCounter(Registry.INSTANCE.getEncoding(EncodingType.CL100K_BASE), true);
  }

  /**
   * The encoding tiktoken uses for an OpenAI model name (its {@code MODEL_PREFIX_TO_ENCODING}; a
   * fine-tune's {@code ft:} stripped, as tiktoken's own {@code ft:gpt-4o} entries read it), or null
   * when the name is not an OpenAI chat model we know.
   */
  private static EncodingType openAiEncoding(String m) {
    if (m.startsWith("gpt-4o") || m.startsWith("chatgpt-4o") || m.startsWith("gpt-4.1")
        || m.startsWith("gpt-4.5") || m.startsWith("gpt-5") || m.startsWith("o1")
        || m.startsWith("o3") || m.startsWith("o4")) {
      return EncodingType.O200K_BASE;
    }
    if (m.startsWith("gpt-4") || m.startsWith("gpt-3.5") || m.startsWith("gpt-35")) {
      return EncodingType.CL100K_BASE;
    }
    return null;
  }

  /** Tokens in {@code text} (exact, or the documented estimate when {@link #isEstimate()}). */
  public int count(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isEmpty()) {
      return 0;
    }
    return cache == null
        ? countNow(text)
        : cache.count(partition, encoding.getName() + (estimated ? "~" : ""), text, () -> countNow(text));
  }

  private int countNow(String text) {
    int n = encoding.countTokensOrdinary(text);
    if (!estimated) {
      return n;
    }
    long scaled = ((long) n * ESTIMATE_NUMERATOR + ESTIMATE_DENOMINATOR - 1) / ESTIMATE_DENOMINATOR;
    return (int) Math.min(scaled, Utf8.length(text));
  }

  /**
   * Prompt tokens of a chat request whose messages have these texts (one entry per message, its
   * text content; images and other parts count only through the {@link #overhead()}): each text plus
   * {@link #TOKENS_PER_MESSAGE}, plus {@link #TOKENS_REPLY_PRIMING}, plus the {@link #overhead()}.
   */
  public int countMessages(List<String> messageTexts) {
    long total = TOKENS_REPLY_PRIMING + (long) overhead;
    for (String text : messageTexts) {
      total += TOKENS_PER_MESSAGE + count(text);
    }
    return (int) Math.min(total, Integer.MAX_VALUE);
  }

  /**
   * The longest prefix of {@code text} that counts at most {@code maxTokens} tokens, cut on a
   * token boundary (used by the echo provider to honour {@code max_tokens}).
   */
  public String truncate(String text, int maxTokens) {
    if (maxTokens <= 0) {
      return "";
    }
    if (count(text) <= maxTokens) {
      return text;
    }
    int budget = estimated ? maxTokens * ESTIMATE_DENOMINATOR / ESTIMATE_NUMERATOR : maxTokens;
    // Re-encoding a decoded prefix can merge differently at the cut, so check and step back.
    for (; budget > 0; budget--) {
      String prefix = prefix(text, budget);
      if (count(prefix) <= maxTokens) {
        return prefix;
      }
    }
    return "";
  }

  private String prefix(String text, int tokens) {
    IntArrayList ids = encoding.encodeOrdinary(text, tokens).getTokens();
    String prefix = encoding.decode(ids);
    // A token can end inside a multi-byte character; decoding then yields U+FFFD. Drop it.
    while (!prefix.isEmpty() && prefix.charAt(prefix.length() - 1) == '\uFFFD'
        && !text.startsWith(prefix)) {
      prefix = prefix.substring(0, prefix.length() - 1);
    }
    return prefix;
  }

  /** Whether counts are the documented over-estimate rather than the provider's exact count. */
  public boolean isEstimate() {
    return estimated;
  }

  /** The BPE behind this counter ({@code o200k_base} or {@code cl100k_base}). */
  public String encodingName() {
    return encoding.getName();
  }

  /**
   * A cheap upper bound on the tokens of any text of {@code utf8Bytes} bytes, without encoding
   * it: the byte count itself. Every token of these byte-level BPEs stands for at least one byte
   * of input (special tokens are never produced from ordinary text), so a text cannot have more
   * tokens than bytes; {@link #count(String)} of every counter, the estimate included, respects
   * this bound. Applied to a whole JSON request body it also covers {@link #countMessages}'s
   * framing, since each message carries more JSON framing bytes than framing tokens. The
   * enforcement path uses it to accept small requests before paying for a real count.
   */
  public static int upperBoundFromUtf8Bytes(int utf8Bytes) {
    if (utf8Bytes < 0) {
      throw new IllegalArgumentException("utf8Bytes: " + utf8Bytes + " (expected: >= 0)");
    }
    return utf8Bytes;
  }

  @Override
  public String toString() {
    return "TokenCounter[" + encoding.getName() + (estimated ? ", estimate" : "") + "]";
  }
}
