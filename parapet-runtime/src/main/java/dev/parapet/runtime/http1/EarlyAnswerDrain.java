package dev.parapet.runtime.http1;

import dev.parapet.runtime.RequestCompleted;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Before the handlers that may answer a request from its head alone (unknown path, wrong method,
 * health, a missing or unknown bearer token) and before the body is collected: a request answered
 * before its body has arrived has the rest of its body read and dropped here, a piece at a time,
 * never collected. So a caller without a token cannot make Parapet hold a body, and the answer can
 * still be read on a connection that stays open (closing on unread bytes would reset it).
 *
 * <p>A head-answered request keeps its connection only when dropping its body is bounded and
 * certain ({@link #keepAliveAfterHeadAnswer}); otherwise the answer says {@code Connection: close}
 * and the close lingers ({@link LingeringClose}), so the caller reads it instead of a reset.
 * The body-rate and idle limits ahead of this handler keep applying while the body is dropped.
 * One instance per connection.
 */
public final class EarlyAnswerDrain extends ChannelInboundHandlerAdapter {
  private boolean reading; // a head went on and its last content has not
  private boolean dropping; // that request was answered first: the rest of its body goes nowhere

  /**
   * Whether a request answered from its head may keep its connection: the caller asked for that,
   * and the body still to come is announced by {@code Content-Length} within {@code maxBodyBytes}
   * (a chunked or longer body would be read for nothing, unbounded), and the caller is not waiting
   * for {@code 100 Continue} (it may send the body or the next request: RFC 9110 §10.1.1 leaves
   * only closing certain).
   */
  public static boolean keepAliveAfterHeadAnswer(HttpRequest head, int maxBodyBytes) {
    if (!HttpUtil.isKeepAlive(head)) {
      return false;
    }
    if (head instanceof LastHttpContent) {
      return true; // whole already: nothing follows
    }
    if (head.headers().contains(HttpHeaderNames.EXPECT) || HttpUtil.isTransferEncodingChunked(head)) {
      return false;
    }
    long length = HttpUtil.getContentLength(head, 0L);
    return length <= maxBodyBytes;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest) {
      dropping = false;
      reading = !(msg instanceof LastHttpContent);
    } else if (msg instanceof HttpContent content) {
      boolean last = msg instanceof LastHttpContent;
      if (last) {
        reading = false;
      }
      if (dropping) {
        dropping = !last;
        content.release();
        return;
      }
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof RequestCompleted && reading) {
      dropping = true;
    }
    ctx.fireUserEventTriggered(evt);
  }
}
