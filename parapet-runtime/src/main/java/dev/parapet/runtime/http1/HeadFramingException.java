package dev.parapet.runtime.http1;

import io.netty.handler.codec.DecoderException;

/** A request head Parapet refuses to parse: its framing could be read two ways (smuggling). */
public final class HeadFramingException extends DecoderException {
  private static final long serialVersionUID = 1L;

  public HeadFramingException(String message) {
    super(message);
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this; // a refusal, not a bug: no stack to keep
  }
}
