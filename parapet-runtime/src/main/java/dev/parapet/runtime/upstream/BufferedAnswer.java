package dev.parapet.runtime.upstream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.runtime.PolicyThreads;
import dev.parapet.runtime.provider.Json;
import dev.parapet.runtime.provider.ProviderAdapter;
import dev.parapet.runtime.provider.ProviderErrorException;
import dev.parapet.runtime.provider.ProviderProtocolException;
import dev.parapet.runtime.provider.Translated;
import dev.parapet.runtime.provider.Usage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * A provider answer read whole before anything reaches the caller: every non-streaming call, and
 * a streaming call the provider refused before its stream began. The body is bounded ({@link
 * #MAX_BODY_BYTES}). 2xx is translated to OpenAI shape; 4xx passes through with the provider's
 * status and body (SPEC §4) after the route's key is scrubbed from it (a gzip or deflate body
 * decoded first, {@link BodyCodings}, and sent as identity); anything else is our 502.
 * So is a 2xx answer that cannot be read (past the bound, malformed, cut off after its head); the
 * provider billed it, so its hold is settled at the worst case ({@link ProxiedCall#failUnreadable}).
 * A 2xx answer goes out with the route's key masked too, should the provider have echoed it
 * ({@link ProxiedCall#answerWhole}), checked where it was read.
 * A 2xx answer that is the provider's own error object (some local servers answer errors so) is
 * read: a 502 naming its type, settled on the prompt ({@link ProxiedCall#failOnProviderError}).
 */
final class BufferedAnswer implements Answer {
  static final int MAX_BODY_BYTES = 16 << 20;
  /** Answers larger than this are read and checked off the event loop. */
  static final int OFF_LOOP_BYTES = PolicyThreads.THRESHOLD;
  /** Test hook: runs on the policy thread before it reads a large answer (to hold it there). */
  static volatile Runnable beforeOffLoopReadForTest;
  /**
   * The reader of provider answers (and of their verification, {@link ProxiedCall}): the one that
   * reads streamed events too, so both take numbers of up to {@link Json#MAX_NUMBER_DIGITS} digits.
   */
  static final ObjectMapper JSON = Json.MAPPER;
  /**
   * The same parse, refusing what a re-serialization would have hidden from the caller: a
   * duplicate key (the policies see the last value, the caller's parser may take the first) and
   * anything after the object. A body this reader accepts may be sent as received.
   */
  private static final ObjectReader EXACT = JSON.reader()
      .with(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY, DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final ProxiedCall call;
  private final ProviderAdapter adapter;
  private HttpResponse head;
  /** A refusal's codings, to undo before it is scrubbed ({@link BodyCodings}); empty: identity. */
  private List<BodyCodings.Coding> codings = List.of();
  private ByteBuf body;
  private Optional<Translated> translated = Optional.empty();

  BufferedAnswer(ProxiedCall call, ProviderAdapter adapter) {
    this.call = call;
    this.adapter = adapter;
  }

  @Override
  public void onHead(HttpResponse head) {
    call.releaseBody(); // the provider answered: the prompt is not needed again
    HttpStatusClass kind = head.status().codeClass();
    if (kind != HttpStatusClass.SUCCESS && kind != HttpStatusClass.CLIENT_ERROR) {
      // 5xx, or a redirect we will not follow: the provider's words stay with the provider.
      call.abortUpstream();
      int status = head.status().code();
      if (kind == HttpStatusClass.SERVER_ERROR) {
        call.fail(FailureReason.serverError(status));
      } else {
        call.fail(FailureReason.unexpectedStatus(status));
      }
      return;
    }
    if (kind == HttpStatusClass.CLIENT_ERROR) {
      Optional<List<BodyCodings.Coding>> undone = BodyCodings.of(head.headers());
      if (undone.isEmpty()) {
        // We asked for identity and got a coding we cannot undo (br, zstd, ...): the key could not
        // be scrubbed from the body, yet the caller could decode it. Not passed through.
        call.abortUpstream();
        call.fail(FailureReason.UNACCEPTED_CODING);
        return;
      }
      codings = undone.get();
    } else if (coded(head.headers())) {
      // A 2xx in a coding we did not accept is no JSON we can read, however much of it comes: it
      // fails now, at its head, rather than once up to MAX_BODY_BYTES of it are in. Billed, it is
      // settled at the worst case, as a 2xx we could not read always was.
      call.abortUpstream();
      call.failUnreadable(FailureReason.UNACCEPTED_CODING);
      return;
    }
    this.head = head;
    body = call.ctx.alloc().buffer();
  }

  /**
   * Whether the body comes in a content or transfer coding other than identity and chunked (the
   * one framing the decoder undoes): gzip, br, deflate, anything unknown.
   */
  static boolean coded(HttpHeaders headers) {
    for (String value : headers.getAll(HttpHeaderNames.CONTENT_ENCODING)) {
      if (hasCodingOtherThan(value, "identity", "identity")) {
        return true;
      }
    }
    for (String value : headers.getAll(HttpHeaderNames.TRANSFER_ENCODING)) {
      if (hasCodingOtherThan(value, "chunked", "identity")) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasCodingOtherThan(String list, String allowed, String alsoAllowed) {
    for (String coding : list.split(",")) {
      String c = coding.trim();
      if (!c.isEmpty() && !c.equalsIgnoreCase(allowed) && !c.equalsIgnoreCase(alsoAllowed)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void onContent(ByteBuf content) {
    if (body.readableBytes() + content.readableBytes() > MAX_BODY_BYTES) {
      call.abortUpstream();
      failAfterHead(FailureReason.ANSWER_TOO_LARGE);
      return;
    }
    body.writeBytes(content);
  }

  /**
   * Guarded ({@link ProxiedCall#guarded}): the exchange has ended, so whatever a policy's or an
   * adapter's bug throws here would reach nothing that answers the caller; it gets a 500, as it
   * does from the same bug on a large answer, worked on off the loop.
   */
  @Override
  public void onEnd() {
    call.guarded(ProxiedCall.ANSWER_PROCESSING_FAILED, () -> {
      if (head.status().codeClass() == HttpStatusClass.SUCCESS) {
        answer();
      } else {
        passThrough();
      }
    });
  }

  @Override
  public void onFailure(FailureReason reason) {
    if (head == null && reason.kind() == UpstreamFailure.PROTOCOL) {
      // Bytes that are no HTTP head, for a request the provider received: perhaps a 2xx we cannot
      // read (a whole answer's head comes once all of it is written). Settled as one, as a stream is.
      call.failUnreadable(reason);
    } else if (head == null) {
      call.fail(reason);
    } else {
      failAfterHead(reason);
    }
  }

  /**
   * The answer failed after its head: a 2xx one the provider billed, which we cannot read, is
   * settled at the worst case ({@link ProxiedCall#failUnreadable}); a refusal (4xx) billed nothing.
   */
  private void failAfterHead(FailureReason reason) {
    if (head.status().codeClass() == HttpStatusClass.SUCCESS) {
      call.failUnreadable(reason);
    } else {
      call.fail(reason);
    }
  }

  /**
   * Reads and translates the answer, prepares it ({@link ProxiedCall#prepareWhole}: the
   * observers' text work and the encoding), then lets the observers check it and sends it. A large
   * answer is read and prepared on the {@link PolicyThreads} (parsing 16 MB of JSON takes ~100 ms,
   * counting its text several times that) while this loop serves its other connections. That work
   * touches nothing the loop does: it reads its own reference to the bytes, builds a new tree and
   * fills the observers' own fields (and the tally they lent), so a caller who leaves meanwhile
   * ends the call at once, as on the loop, and the tree is dropped when it comes back. The work runs
   * even then, also when the caller left before its turn: the provider billed the answer, and the
   * settlement waits for its count ({@link ProxiedCall#offLoopToEnd}).
   */
  private void answer() {
    if (body.readableBytes() > OFF_LOOP_BYTES) {
      ByteBuf input = body.retainedDuplicate(); // dispose() may release the body meanwhile
      boolean went = call.offLoopToEnd(ProxiedCall.ANSWER_PROCESSING_FAILED, () -> {
        try {
          Runnable hook = beforeOffLoopReadForTest;
          if (hook != null) {
            hook.run();
          }
          return read(input);
        } finally {
          input.release();
        }
      }, this::deliver); // a caller gone meanwhile: dispose() released the body, the work its own
      if (went) {
        return;
      }
      input.release(); // the pool refused it: read it here, as a small answer is
    }
    deliver(read(body));
  }

  /**
   * An answer read from the provider's bytes and prepared: its translation, and whether those bytes
   * are exactly its tree as read (then they may be sent as received, unless it was rewritten); or,
   * translation null, the type of the error the provider answered with ({@link
   * ProviderErrorException}). Null for a provider that broke the protocol.
   */
  private record Read(Translated translated, boolean asReceived, KeyCheck keyCheck, String providerError) {}

  private Read read(ByteBuf json) {
    boolean exact = utf8(json);
    try {
      JsonNode tree;
      if (exact) {
        try {
          tree = read(json, EXACT);
        } catch (IOException e) {
          exact = false; // not sent as received; the ordinary parse decides whether it is an answer
          tree = read(json, JSON.reader());
        }
      } else {
        tree = read(json, JSON.reader());
      }
      if (!(tree instanceof ObjectNode object)) {
        throw new ProviderProtocolException("answer is not a JSON object");
      }
      Translated t = adapter.translateResponse(call.request.route(), object);
      // The adapter passed the provider's tree through (OpenAI shape already): the bytes are the answer.
      boolean asReceived = exact && t.body() == object;
      KeyCheck keyCheck = call.prepareWhole(t, asReceived ? json : null);
      return new Read(t, asReceived, keyCheck, null);
    } catch (ProviderErrorException e) {
      return new Read(null, false, null, e.errorType());
    } catch (IOException | ProviderProtocolException e) {
      return null;
    }
  }

  private void deliver(Read read) {
    if (read == null) {
      call.failUnreadable(FailureReason.MALFORMED_ANSWER); // a 2xx the provider billed
      return;
    }
    if (read.translated() == null) {
      call.failOnProviderError(read.providerError()); // readable: settled on the prompt, not the worst case
      return;
    }
    translated = Optional.of(read.translated());
    call.answerWhole(read.translated(), CallerHeaders.from(head.headers(), false, call.providerKey),
        read.asReceived() ? body : null, read.keyCheck());
  }

  private static JsonNode read(ByteBuf json, ObjectReader reader) throws IOException {
    try (InputStream in = new ByteBufInputStream(json.duplicate())) {
      return reader.readTree(in);
    }
  }

  /**
   * Whether Jackson will read {@code json} as UTF-8, the only encoding we answer in: no byte order
   * mark and no zero byte among the first two, which is how it detects UTF-16 and UTF-32.
   */
  static boolean utf8(ByteBuf json) {
    if (json.readableBytes() < 2) {
      return false;
    }
    int b0 = json.getUnsignedByte(json.readerIndex());
    int b1 = json.getUnsignedByte(json.readerIndex() + 1);
    return b0 != 0 && b0 != 0xEF && b0 != 0xFE && b0 != 0xFF && b1 != 0;
  }

  private void passThrough() {
    HttpHeaders headers = CallerHeaders.from(head.headers(), true, call.providerKey);
    if (codings.isEmpty() || !body.isReadable()) {
      // Identity, or no body at all (a refusal labelled gzip with nothing in it: nothing to hide).
      ByteBuf scrubbed = KeyScrubber.scrub(call.ctx.alloc(), body, call.providerKey);
      call.respond(head.status(), headers, scrubbed, Optional.empty(), Optional.empty(), Optional.empty());
      return;
    }
    // Inflating runs at ~100-500 MB/s on a shared core: the whole bound (16 MiB a layer) would hold
    // this loop for tens of milliseconds, its first OFF_LOOP_BYTES for microseconds. A body whose
    // decoding goes past that is decoded and scrubbed on the policy threads, as a large answer is
    // read there. A refusal is not billed: a caller who leaves meanwhile drops the work.
    BodyCodings.Decoded small = BodyCodings.decode(body.nioBuffer(), codings, OFF_LOOP_BYTES);
    if (small.outcome() != BodyCodings.Outcome.TOO_LARGE) {
      passDecoded(headers, scrubbed(small));
      return;
    }
    ByteBuf input = body.retainedDuplicate(); // dispose() may release the body meanwhile
    boolean went = call.offLoop(ProxiedCall.ANSWER_PROCESSING_FAILED, () -> {
      try {
        return scrubbed(BodyCodings.decode(input.nioBuffer(), codings, MAX_BODY_BYTES));
      } finally {
        input.release();
      }
    }, decoded -> passDecoded(headers, decoded), input::release);
    if (went) {
      return;
    }
    input.release(); // the pool refused it: decoded here
    passDecoded(headers, scrubbed(BodyCodings.decode(body.nioBuffer(), codings, MAX_BODY_BYTES)));
  }

  /** The decoded refusal with the key masked, in an array of its own (nothing to release). */
  private BodyCodings.Decoded scrubbed(BodyCodings.Decoded decoded) {
    if (decoded.outcome() != BodyCodings.Outcome.DECODED) {
      return decoded;
    }
    byte[] bytes = KeyScrubber.scrub(decoded.bytes(), decoded.length(), call.providerKey);
    return new BodyCodings.Decoded(BodyCodings.Outcome.DECODED, bytes, bytes.length);
  }

  /** A decoded refusal passes through as identity; one past the bound or corrupt is our 502. */
  private void passDecoded(HttpHeaders headers, BodyCodings.Decoded decoded) {
    switch (decoded.outcome()) {
      case TOO_LARGE -> call.fail(FailureReason.ANSWER_TOO_LARGE);
      case MALFORMED -> call.fail(FailureReason.MALFORMED_CODING);
      case DECODED -> call.respond(head.status(), headers, Unpooled.wrappedBuffer(decoded.bytes(), 0, decoded.length()),
          Optional.empty(), Optional.empty(), Optional.empty());
    }
  }

  @Override
  public Optional<Usage> usage() {
    return translated.flatMap(Translated::usage);
  }

  @Override
  public Optional<String> reportedModel() {
    return translated.flatMap(Translated::reportedModel);
  }

  @Override
  public void dispose() {
    if (body != null) {
      body.release();
      body = null;
    }
  }
}
