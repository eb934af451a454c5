package dev.parapet.runtime.testing;

import dev.parapet.runtime.Gateway;
import dev.parapet.runtime.Stages;
import dev.parapet.runtime.boot.BootException;
import dev.parapet.runtime.boot.Settings;
import java.util.function.UnaryOperator;

/** A gateway on 127.0.0.1, a free port, the test config and a recording terminal. */
public final class GatewayFixture implements AutoCloseable {
  public final RecordingTerminal terminal = new RecordingTerminal();
  public final Gateway gateway;
  public final int port;

  public GatewayFixture() throws BootException {
    this(s -> s);
  }

  public GatewayFixture(UnaryOperator<Settings> tweak) throws BootException {
    LeakWatch.start();
    Settings settings = tweak.apply(Settings.defaults().withBind("127.0.0.1").withPort(0));
    gateway = new Gateway(settings, TestConfigs.front(), Stages.terminalOnly(terminal::newHandler));
    port = gateway.start();
  }

  public RawHttp raw() throws java.io.IOException {
    return new RawHttp(port);
  }

  /** A keep-alive POST with a JSON body and a bearer token (null: no Authorization). */
  public static String post(String path, String token, String json) {
    byte[] body = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return "POST " + path + " HTTP/1.1\r\nHost: parapet\r\n"
        + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
        + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n"
        + new String(body, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  public static String get(String path, String token) {
    return "GET " + path + " HTTP/1.1\r\nHost: parapet\r\n"
        + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n";
  }

  @Override
  public void close() {
    gateway.close();
  }
}
