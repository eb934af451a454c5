package dev.parapet.runtime.limits;

import dev.parapet.runtime.BodyReleased;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.flow.ReadPauses;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.RejectedExecutionException;

/**
 * After authentication, before the body is collected: reserves the request's body in the
 * gateway's {@link BodyBudget} (its {@code Content-Length}; the body limit for a chunked one, cut
 * to the bytes that came once its last chunk is in) and gives it back as soon as the body is no
 * longer held: when the provider answers ({@link BodyReleased}: a stream may run for minutes after
 * its prompt is dropped), when the request completes, or when the connection closes. A request that does not fit
 * waits with its head held here and the connection not read (the body stays in the caller's
 * socket; no {@code 100 Continue} is sent meanwhile); it goes on when the budget admits it. A body
 * announced above the body limit reserves nothing: the aggregator refuses it unread.
 *
 * <p>While a request waits, its connection is not read, so neither the idle timeout nor the body
 * rate counts the wait against the caller; a caller who gives up and closes leaves the line. One
 * instance per connection; everything here runs on its event loop except {@link
 * Pending#admitted}, which hands over to it.
 */
public final class BodyBudgetHandler extends ChannelInboundHandlerAdapter {
  private final BodyBudget budget;
  private final int maxBodyBytes;
  private long reserved; // held by this connection's current request
  private long chunkedReceived = -1; // body bytes of a chunked request so far; -1: not chunked
  private Pending pending; // its head, waiting for the reservation

  public BodyBudgetHandler(BodyBudget budget, int maxBodyBytes) {
    this.budget = budget;
    this.maxBodyBytes = maxBodyBytes;
  }

  /** The bytes a head reserves: its announced body, the limit for a chunked one, 0 for none. */
  long bytesFor(HttpRequest head) {
    if (head instanceof LastHttpContent) {
      return 0; // whole already (a test's aggregated request): nothing more to hold
    }
    if (HttpUtil.isTransferEncodingChunked(head)) {
      return maxBodyBytes;
    }
    long length = HttpUtil.getContentLength(head, 0L);
    return length > maxBodyBytes ? 0 : length; // too long: refused unread behind us
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest head) {
      giveBack(); // a request that never completed (cannot happen) must not keep its bytes
      long bytes = bytesFor(head);
      if (bytes > 0) {
        Pending p = new Pending(ctx, head, bytes);
        if (!budget.reserveOrWait(p)) {
          pending = p;
          ReadPauses.pause(ctx.channel(), ReadPauses.Reason.BODY_BUDGET);
          return;
        }
        reserved(head, bytes);
      }
    } else if (msg instanceof HttpContent piece && chunkedReceived >= 0) {
      chunkedBody(piece);
    }
    ctx.fireChannelRead(msg);
  }

  private void reserved(HttpRequest head, long bytes) {
    reserved = bytes;
    chunkedReceived = HttpUtil.isTransferEncodingChunked(head) ? 0 : -1;
  }

  /**
   * A chunked body reserved the body limit, as its length was unknown; once its last chunk is in,
   * only what came stays reserved (the aggregator behind refuses a body past the limit).
   */
  private void chunkedBody(HttpContent piece) {
    chunkedReceived += piece.content().readableBytes();
    if (piece instanceof LastHttpContent) {
      long keep = Math.min(chunkedReceived, reserved);
      chunkedReceived = -1;
      if (keep < reserved) {
        long spare = reserved - keep;
        reserved = keep;
        budget.release(spare);
      }
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof RequestCompleted || evt instanceof BodyReleased) {
      giveBack();
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    end();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    end();
  }

  private void end() {
    Pending p = pending;
    if (p != null) {
      pending = null;
      if (budget.leave(p)) {
        ReferenceCountUtil.release(p.head); // never admitted: nothing reserved
      } else {
        p.abandoned = true; // admitted meanwhile: its hand-over gives the bytes back
      }
    }
    giveBack();
  }

  private void giveBack() {
    chunkedReceived = -1;
    if (reserved > 0) {
      long bytes = reserved;
      reserved = 0;
      budget.release(bytes);
    }
  }

  /** A head waiting for its reservation. */
  private final class Pending implements BodyBudget.Waiter {
    final ChannelHandlerContext ctx;
    final HttpRequest head;
    final long bytes;
    boolean abandoned; // the connection closed after the budget admitted it (loop only)

    Pending(ChannelHandlerContext ctx, HttpRequest head, long bytes) {
      this.ctx = ctx;
      this.head = head;
      this.bytes = bytes;
    }

    @Override
    public long bytes() {
      return bytes;
    }

    @Override
    public void admitted() {
      try {
        ctx.executor().execute(this::resume);
      } catch (RejectedExecutionException loopGone) {
        budget.release(bytes); // the loop is shutting down, and so is the connection
        ReferenceCountUtil.release(head);
      }
    }

    private void resume() {
      if (abandoned || pending != this) {
        budget.release(bytes);
        ReferenceCountUtil.release(head);
        return;
      }
      pending = null;
      reserved(head, bytes);
      ctx.fireChannelRead(head);
      ReadPauses.resume(ctx.channel(), ReadPauses.Reason.BODY_BUDGET); // the body, queued at flow control, follows
    }
  }
}
