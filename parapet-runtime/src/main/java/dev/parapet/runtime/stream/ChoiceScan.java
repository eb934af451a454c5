package dev.parapet.runtime.stream;

import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.redact.ArgumentsDecoder;
import dev.parapet.core.redact.OutputScanner;
import dev.parapet.core.redact.Redactor;
import dev.parapet.core.text.Utf8;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.provider.ChunkSummary;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One choice's output. Deltas wait uncounted while their UTF-8 bytes — an upper bound on their
 * tokens ({@link TokenCounter#upperBoundFromUtf8Bytes}) — plus what was counted cannot pass
 * {@code max_tokens_out}; then they are counted together, exactly, so an answer far from the
 * cap is never tokenized on the way, and one near it is counted delta by delta.
 *
 * <p>Under {@code scan_output} each choice's texts are scanned apart from every other choice's:
 * with {@code n > 1} their deltas arrive interleaved, and one scanner for all would miss a
 * secret split across one choice's deltas (another choice's text between the halves) and could
 * make a match of two choices' texts.
 *
 * <p>Part of {@link StreamGuard}, which keeps one per choice index and is the only one that
 * touches it: what it needs of the guard is passed in (the route model's counter, the output
 * patterns, the count past which a choice is cut; the number of chunks shown so far, on each call
 * that may feed or decide a text). It has the guard's thread rules: used on the event loop, or on
 * the policy thread the guard is lent to for a large event (between {@link
 * StreamGuard#onAway} and {@link StreamGuard#onBack}), never on two threads at once.
 */
final class ChoiceScan {
  private final TokenCounter counter;
  /** The route's output patterns, or null when its answers are not scanned (no text is then made). */
  private final Redactor redactor;
  /** The count past which the choice is cut ({@link StreamGuard#ESTIMATE_SLACK}). */
  private final long cutAbove;
  // Sized past an answer's first sentences (see OutputScanner.INITIAL_CHARS): every regrowth
  // hands this long-lived builder a young array, a card the next young pauses must scan.
  final StringBuilder pending = new StringBuilder(OutputScanner.INITIAL_CHARS);
  long pendingBytes;
  long counted;
  /** The choice's text ({@code content}); made with its first delta that has any. */
  Scanned text;
  /**
   * Reasoning, refusals and tool-call arguments, scanned apart from the text, so that a match
   * cannot be made of the end of one and the start of the other; the arguments of the choice's
   * parallel calls, which arrive interleaved, are scanned as one text (a false match there cuts:
   * fail closed). Made with the first.
   */
  Scanned other;
  /** Text in fields nobody reads ({@link ChunkSummary.Choice#unknownText}); made with the first. */
  Scanned unknown;
  /**
   * The tool calls' arguments as their reader sees them, decoded ({@link ArgumentsDecoder}, one
   * per call: an escape split across deltas is held until it is whole), scanned as one text like
   * {@link #other}, which goes on scanning them as written: <code>dave&#92;u0040example.com</code> is
   * caught on the delta that completes it decoded, and arguments that are no JSON, which the
   * decoder may read wrongly, are still scanned as they are. Made with the first.
   */
  Scanned decoded;
  /** One per tool call index; constant state each. */
  Map<Integer, ArgumentsDecoder> decoders;
  /**
   * A JSON answer's text ({@link StreamGuard#asksForJson}) as the caller's parser reads it,
   * decoded by {@link #textDecoder}, scanned beside {@link #text}, which goes on scanning it as
   * written (text that is no JSON, which the decoder may read wrongly, included). Made with the
   * first.
   */
  Scanned decodedText;
  ArgumentsDecoder textDecoder;

  ChoiceScan(TokenCounter counter, Redactor redactor, long cutAbove) {
    this.counter = counter;
    this.redactor = redactor;
    this.cutAbove = cutAbove;
  }

  /** Feeds a JSON answer's text delta, decoded, to {@link #decodedText}; the match, if any. */
  Optional<RedactionPattern> feedDecodedText(String delta, long chunk) {
    if (textDecoder == null) {
      textDecoder = new ArgumentsDecoder();
      decodedText = made(decodedText);
    }
    String text = textDecoder.decode(delta);
    return text.isEmpty() ? Optional.empty() : decodedText.feed(text, chunk);
  }

  /** Feeds these pieces of arguments, decoded, to {@link #decoded}; the first match, if any. */
  Optional<RedactionPattern> feedDecoded(List<ChunkSummary.Arguments> pieces, long chunk) {
    if (decoders == null) {
      decoders = new HashMap<>(2);
      decoded = made(decoded);
    }
    for (ChunkSummary.Arguments piece : pieces) {
      String text = decoders.computeIfAbsent(piece.call(), i -> new ArgumentsDecoder()).decode(piece.text());
      Optional<RedactionPattern> match = decoded.feed(text, chunk);
      if (match.isPresent()) {
        return match;
      }
    }
    return Optional.empty();
  }

  /** The choice's texts, each scanned apart (null: none of that kind yet), in the order they are decided. */
  private Scanned[] texts() {
    return new Scanned[] {text, decodedText, other, decoded, unknown};
  }

  /**
   * The choice ended: a match held back because more text could have changed it (a card number
   * at the very end), in any of its texts, if any.
   */
  Optional<RedactionPattern> finish(long chunk) {
    for (Scanned s : texts()) {
      Optional<RedactionPattern> held = s == null ? Optional.empty() : s.finish(chunk);
      if (held.isPresent()) {
        return held;
      }
    }
    return Optional.empty();
  }

  /**
   * The stream ends: adds the match each of the choice's texts holds at its end, if any, to
   * {@code into}. {@code beforeChunk}: the chunk last shown was not sent, so each text is decided
   * as it stood before it ({@link Scanned#heldBeforeChunk}), and left as it is.
   */
  void decide(boolean beforeChunk, long chunk, List<RedactionPattern> into) {
    for (Scanned s : texts()) {
      if (s != null) {
        (beforeChunk ? s.heldBeforeChunk(chunk) : s.finish(chunk)).ifPresent(into::add);
      }
    }
  }

  /** Adds what each of the choice's texts holds at its end now to {@code into} (made if null); returns it. */
  List<RedactionPattern> held(List<RedactionPattern> into) {
    for (Scanned s : texts()) {
      Optional<RedactionPattern> held = s == null ? Optional.empty() : s.scanner.held();
      if (held.isPresent()) {
        into = into == null ? new ArrayList<>(2) : into;
        into.add(held.get());
      }
    }
    return into;
  }

  Scanned textScanner() {
    return text = made(text);
  }

  Scanned otherScanner() {
    return other = made(other);
  }

  Scanned unknownScanner() {
    return unknown = made(unknown);
  }

  private Scanned made(Scanned scanner) {
    return scanner != null ? scanner : new Scanned(redactor);
  }

  void append(String delta) {
    pending.append(delta);
    pendingBytes += Utf8.length(delta);
  }

  boolean mayPass() {
    return counted + TokenCounter.upperBoundFromUtf8Bytes((int) Math.min(pendingBytes, Integer.MAX_VALUE))
        > cutAbove;
  }

  int count() {
    if (pending.length() == 0) {
      return 0;
    }
    int n = counter.count(pending.toString());
    counted += n;
    pending.setLength(0);
    pendingBytes = 0;
    return n;
  }

  /**
   * One of a choice's texts, scanned as it comes ({@link OutputScanner}), that remembers what it
   * held back (a card number at its very end) as the chunk being checked came: should the stream be
   * cut on that chunk, what its caller has of this text is the text before it ({@link
   * #heldBeforeChunk}). Asking costs nothing ({@link OutputScanner#held}). {@code chunk}, on each
   * call: the guard's count of the chunks shown so far, which tells one chunk from the next.
   */
  static final class Scanned {
    private final OutputScanner scanner;
    /** The chunk that last fed this text, and what the text held as that chunk came. */
    private long fedIn = -1;
    private RedactionPattern heldBefore;

    Scanned(Redactor redactor) {
      this.scanner = new OutputScanner(redactor);
    }

    Optional<RedactionPattern> feed(String delta, long chunk) {
      mark(chunk);
      return scanner.feed(delta);
    }

    Optional<RedactionPattern> finish(long chunk) {
      mark(chunk);
      return scanner.finish();
    }

    private void mark(long chunk) {
      if (fedIn != chunk) {
        fedIn = chunk;
        heldBefore = scanner.held().orElse(null);
      }
    }

    /** The match held at the end of this text as it stood before the chunk last shown, if any. */
    Optional<RedactionPattern> heldBeforeChunk(long chunk) {
      return fedIn == chunk ? Optional.ofNullable(heldBefore) : scanner.held();
    }
  }
}
