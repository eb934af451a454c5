package dev.parapet.runtime.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * The HTTP/1.1 codec of one provider connection: Netty's response decoder and request encoder
 * (what {@code HttpClientCodec} combines; we only ever send POST, so its HEAD and CONNECT
 * bookkeeping has nothing to do), with one addition the pool needs: whether the decoder sits
 * between answers with nothing of the provider's held.
 *
 * <p>A provider that sends more than its answer's framing says (a Content-Length counted short, a
 * 204 with a body, a stray head) can leave bytes the decoder keeps for the next message: a part
 * of a line, or a head whose end has not come. Nothing of them reaches the {@link
 * IdleConnectionGuard}, and the next exchange on the connection would read them as the start of
 * its own answer — a 502 charged at its worst case, or another call's bytes. The pool asks {@link
 * #betweenAnswers} before it lends a connection again, and closes one that is not.
 */
final class ProviderCodec extends CombinedChannelDuplexHandler<ProviderCodec.Decoder, HttpRequestEncoder> {
  ProviderCodec() {
    super(new Decoder(), new HttpRequestEncoder());
  }

  /** True when the last thing decoded ended an answer and no byte has come since. */
  boolean betweenAnswers() {
    return inboundHandler().betweenAnswers();
  }

  static final class Decoder extends HttpResponseDecoder {
    private boolean ended = true;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
      int before = buffer.readableBytes();
      int start = buffer.readerIndex();
      int decoded = out.size();
      super.decode(ctx, buffer, out);
      if (out.size() > decoded) {
        ended = out.get(out.size() - 1) instanceof LastHttpContent;
      } else if (buffer.readableBytes() != before && !(ended && blank(buffer, start, buffer.readerIndex()))) {
        ended = false; // taken into a message not yet complete (its line, its head)
      }
    }

    /**
     * Whether {@code buffer} from {@code from} to {@code to} holds only what the decoder skips
     * before a status line (white space and control characters, as a CRLF some servers send after
     * a body): dropped, it is no part of any message, and the connection stays between answers.
     */
    private static boolean blank(ByteBuf buffer, int from, int to) {
      for (int i = from; i < to; i++) {
        char c = (char) buffer.getUnsignedByte(i);
        if (!Character.isISOControl(c) && !Character.isWhitespace(c)) {
          return false;
        }
      }
      return true;
    }

    boolean betweenAnswers() {
      return ended && actualReadableBytes() == 0;
    }
  }
}
