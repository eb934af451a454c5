package dev.parapet.runtime.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.parapet.core.config.Role;
import dev.parapet.core.config.User;
import dev.parapet.core.seal.PasswordHash;
import dev.parapet.runtime.requestid.RequestIdHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The handler alone, on an embedded channel: what happens when its executor is full. */
class SurfacesHandlerTest {
  /** An executor whose queue is always full. */
  private static final class Full extends AbstractExecutorService {
    @Override public void execute(Runnable command) {
      throw new RejectedExecutionException("full");
    }
    @Override public void shutdown() {}
    @Override public List<Runnable> shutdownNow() {
      return List.of();
    }
    @Override public boolean isShutdown() {
      return false;
    }
    @Override public boolean isTerminated() {
      return false;
    }
    @Override public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }

  @Test
  void aFullExecutorIs503WithRetryAfterAndNothingLeaks() {
    PasswordCheck passwords = new PasswordCheck(List.of(new User("ops", Role.VIEWER, "OPS_PW")),
        Map.of("ops", PasswordHash.hash("pw".toCharArray(), "ops")));
    SurfacesHandler handler = new SurfacesHandler(passwords,
        new LoginCache(1_000_000_000L, 8, System::nanoTime),
        new FailureLimit(10, 60_000_000_000L, 8, System::nanoTime),
        null, null, () -> "", "text/plain", new Full());
    EmbeddedChannel ch = new EmbeddedChannel(new RequestIdHandler(), handler);
    FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/_parapet/usage");
    request.headers().set(HttpHeaderNames.AUTHORIZATION,
        "Basic " + Base64.getEncoder().encodeToString("ops:pw".getBytes(StandardCharsets.UTF_8)));
    ch.writeInbound(request);
    FullHttpResponse response = ch.readOutbound();
    assertEquals(503, response.status().code());
    assertEquals("1", response.headers().get(HttpHeaderNames.RETRY_AFTER));
    response.release();
    assertEquals(0, request.refCnt());
    assertEquals(0, passwords.runs(), "no Argon2id run on the event loop");
    assertNull(ch.readInbound());
    assertFalse(ch.finishAndReleaseAll());
  }
}
