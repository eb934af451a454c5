package dev.parapet.runtime.http1;

import io.netty.handler.codec.http.HttpMethod;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A user event fired by {@link HeadCheckingDecoder} just before it closes a connection whose
 * request head did not arrive whole in time (slowloris). No request began, so no {@code
 * RequestCompleted} follows: this is how the metrics still count it and the access log still
 * writes its line (as a 408 nobody was sent, what nginx logs there).
 *
 * @param method the request line's method, if the request line was read whole
 * @param path its raw path, query stripped, likewise (the caller's bytes: log only its template)
 * @param latencyNanos from the head's first byte to the close
 */
public record HeadTimedOut(Optional<HttpMethod> method, Optional<String> path, long latencyNanos) {
  /** What nginx logs for a request head that timed out (RFC 9110 §15.5.9), though none is sent. */
  public static final int STATUS = 408;
  // Upper-case letters only: the line is the caller's bytes, and it goes to the access log.
  private static final Pattern METHOD = Pattern.compile("[A-Z]{1,16}");

  /**
   * From the head's request line, if it was read whole ({@code method SP target SP version}, RFC
   * 9112 §3); anything else, or none, leaves method and path unknown.
   */
  static HeadTimedOut of(Optional<String> requestLine, long latencyNanos) {
    if (requestLine.isPresent()) {
      String line = requestLine.get();
      int sp1 = line.indexOf(' ');
      int sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
      if (sp2 > sp1 + 1 && METHOD.matcher(line.substring(0, sp1)).matches()) {
        String target = line.substring(sp1 + 1, sp2);
        int q = target.indexOf('?');
        return new HeadTimedOut(Optional.of(HttpMethod.valueOf(line.substring(0, sp1))),
            Optional.of(q < 0 ? target : target.substring(0, q)), latencyNanos);
      }
    }
    return new HeadTimedOut(Optional.empty(), Optional.empty(), latencyNanos);
  }
}
