package dev.parapet.runtime;

/**
 * Fired with {@code ctx.pipeline().fireUserEventTriggered(...)} when a call's parsed body has been
 * dropped ({@link GatewayRequest#releaseBody()}): the provider answered, so no policy or retry will
 * read the prompt again. The body budget gives the request's reservation back here rather than at
 * {@link RequestCompleted}, which for a stream can be minutes later. At most once per request;
 * {@link RequestCompleted} still follows.
 */
public final class BodyReleased {
  public static final BodyReleased INSTANCE = new BodyReleased();

  private BodyReleased() {}

  @Override
  public String toString() {
    return "BodyReleased";
  }
}
