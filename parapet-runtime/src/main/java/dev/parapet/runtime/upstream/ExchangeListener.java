package dev.parapet.runtime.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponse;

/**
 * What one {@link UpstreamExchange} reports, on the caller's event loop, in order: one head, any
 * number of content pieces, then exactly one of {@link #onEnd()} or {@link #onFailure}. After an
 * {@link UpstreamExchange#abort()} nothing more is reported.
 */
interface ExchangeListener {
  /** The provider's status line and headers (RFC 9112 §4), informational 1xx skipped. */
  void onHead(HttpResponse head);

  /**
   * A piece of the body, borrowed: it is valid during this call only and released by the exchange
   * after it; copy or parse it, do not keep it.
   */
  void onContent(ByteBuf content);

  /** The body ended cleanly; the connection is already back in the pool or closed. */
  void onEnd();

  /**
   * The exchange failed; the connection is closed, never pooled. {@code reason} says why: its word
   * for the log and the event, its {@link FailureReason#kind} for the caller and the settlement.
   */
  void onFailure(FailureReason reason);
}
