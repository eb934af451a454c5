package dev.parapet.runtime.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.testing.RawHttp.Response;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The fixture's reader against a loopback server that writes canned bytes: every framing an HTTP/1.1
 * response can have, and the answers a strict client must refuse rather than assert on.
 */
class RawHttpTest {
  /** Writes {@code raw} to the first connection, then holds it open until the client closes, unless {@code close}. */
  private static ServerSocket serve(String raw, boolean close) throws IOException {
    ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      try (Socket s = server.accept()) {
        s.getOutputStream().write(raw.getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
        if (!close) {
          InputStream in = s.getInputStream();
          while (in.read() != -1) {
            // hold the connection until the client is done
          }
        }
      } catch (IOException ignored) {
        // the client left
      }
    }, "raw-http-test-server");
    t.setDaemon(true);
    t.start();
    return server;
  }

  private static RawHttp client(ServerSocket server) throws IOException {
    return new RawHttp(server.getLocalPort());
  }

  @Test
  void chunkedWithExtensionsAndTrailersIsDeChunkedWithoutWaitingForTheClose() throws Exception {
    String raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "4;name=\"v\"\r\nsk-s\r\n"
        + "A\r\necret-1234\r\n"
        + "0;last\r\nX-Trailer: t\r\n\r\n"
        + "HTTP/1.1 204 No Content\r\n\r\n";
    try (ServerSocket server = serve(raw, false); RawHttp c = client(server)) {
      Response r = c.read();
      assertEquals(200, r.status());
      assertEquals("sk-secret-1234", r.body(), "one token across two chunks, no framing in the body");
      assertEquals(204, c.read().status(), "nothing of the first answer is left on the socket");
    }
  }

  @Test
  void interimNoContentAndNotModifiedAnswersHaveNoBody() throws Exception {
    String raw = "HTTP/1.1 100 Continue\r\n\r\n"
        + "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"
        + "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"
        + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    try (ServerSocket server = serve(raw, false); RawHttp c = client(server)) {
      assertEquals(100, c.read().status());
      assertEquals("", c.read().body());
      assertEquals("", c.read().body());
      assertEquals("hello", c.read().body());
    }
  }

  @Test
  void theAnswerToAHeadHasNoBodyWhateverItsFraming() throws Exception {
    String raw = "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"
        + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    try (ServerSocket server = serve(raw, false); RawHttp c = client(server)) {
      assertEquals("", c.read(true).body());
      assertEquals("", c.read(true).body());
      assertEquals("ok", c.read().body());
    }
  }

  @Test
  void withoutLengthOrChunkingTheBodyEndsWithTheConnection() throws Exception {
    String raw = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\ndata: a\n\ndata: [DONE]\n\n";
    try (ServerSocket server = serve(raw, true); RawHttp c = client(server)) {
      assertEquals("data: a\n\ndata: [DONE]\n\n", c.read().body());
    }
  }

  @Test
  void aHeadReadLeavesTheBodyOnTheSocket() throws Exception {
    String raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n";
    try (ServerSocket server = serve(raw, false); RawHttp c = client(server)) {
      Response head = c.readHead();
      assertEquals(200, head.status());
      assertEquals("chunked", head.header("transfer-encoding"));
    }
  }

  @Test
  void anAnswerCutShortIsAnErrorNotAShorterBody() throws Exception {
    for (String raw : new String[] {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", // no last chunk
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nhello", // inside a chunk
        "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n", // inside the head
    }) {
      try (ServerSocket server = serve(raw, true); RawHttp c = client(server)) {
        IOException e = assertThrows(IOException.class, c::read, raw);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
      }
    }
  }

  @Test
  void readFramedReturnsACutBodyAsFarAsItCame() throws Exception {
    String raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n";
    try (ServerSocket server = serve(raw, true);
        Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
      s.setSoTimeout(20_000);
      assertEquals("hello", RawHttp.readFramed(s.getInputStream()).body());
      assertNull(RawHttp.readFramed(s.getInputStream()), "then the end of the stream");
    }
  }

  @Test
  void framingAClientMustNotTrustIsAnError() throws Exception {
    for (String raw : new String[] {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcde\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: " + (RawHttp.MAX_BODY + 1) + "\r\n\r\n",
        "HTTP/1.1 2xx OK\r\n\r\n",
    }) {
      try (ServerSocket server = serve(raw, false); RawHttp c = client(server)) {
        assertThrows(IOException.class, c::read, raw);
      }
    }
  }
}
