package dev.parapet.runtime.flow;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.EnumSet;

/**
 * Why a caller connection is not being read, on its event loop. Several handlers stop reading for
 * their own reasons — a request in flight, a body waiting for room in the body budget, answers the
 * caller is not taking — and each must not resume reading while another still needs it stopped
 * (one request at a time, answers in order, bounded memory). Each pauses and resumes for its own
 * reason here; autoRead is on only while no reason is left.
 */
public final class ReadPauses {
  /** A reason to stop reading a caller connection. */
  public enum Reason {
    /** A request was dispatched and is not complete yet (the in-flight gate). */
    IN_FLIGHT,
    /** A head waits for room in the gateway-wide body budget. */
    BODY_BUDGET,
    /** Our answers pile up unsent: the caller is not reading them (the answer backlog). */
    ANSWERS_UNREAD
  }

  private static final AttributeKey<EnumSet<Reason>> KEY = AttributeKey.valueOf("parapet.readPauses");

  private ReadPauses() {}

  /** Stops reading {@code channel} for {@code reason} (on its event loop). */
  public static void pause(Channel channel, Reason reason) {
    reasons(channel).add(reason);
    channel.config().setAutoRead(false);
  }

  /** Drops {@code reason}; reading resumes once no other reason is left (on its event loop). */
  public static void resume(Channel channel, Reason reason) {
    EnumSet<Reason> reasons = reasons(channel);
    reasons.remove(reason);
    if (reasons.isEmpty()) {
      channel.config().setAutoRead(true);
    }
  }

  /** True while reading is paused only because the caller does not take our answers. */
  public static boolean onlyForUnreadAnswers(Channel channel) {
    EnumSet<Reason> reasons = channel.attr(KEY).get();
    return reasons != null && reasons.equals(EnumSet.of(Reason.ANSWERS_UNREAD));
  }

  private static EnumSet<Reason> reasons(Channel channel) {
    EnumSet<Reason> reasons = channel.attr(KEY).get();
    if (reasons == null) {
      reasons = EnumSet.noneOf(Reason.class);
      channel.attr(KEY).set(reasons);
    }
    return reasons;
  }
}
