package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The hand-over back to the loop: its result there, and what its continuation throws. */
class PolicyThreadsTest {
  private EventLoopGroup group;
  private Channel channel;
  private final BlockingQueue<Throwable> caught = new LinkedBlockingQueue<>();
  private final BlockingQueue<String> ranOn = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() throws Exception {
    group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    channel = new LocalChannel();
    channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        caught.add(cause);
      }
    });
    group.register(channel).sync();
  }

  @AfterEach
  void stop() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Test
  void theResultComesBackOnTheChannelsLoop() throws Exception {
    assertTrue(PolicyThreads.run(channel, () -> Thread.currentThread().getName(), (worker, failure) -> {
      ranOn.add(worker);
      ranOn.add(channel.eventLoop().inEventLoop() ? "loop" : "elsewhere");
    }, () -> {}));
    assertTrue(ranOn.poll(5, TimeUnit.SECONDS).startsWith("parapet-policy"));
    assertEquals("loop", ranOn.poll(5, TimeUnit.SECONDS));
  }

  /**
   * Bulk text work yields to the event loops: the policy threads run at the lowest Java priority,
   * which the JVM passes to Linux as a higher nice value under {@code -XX:ThreadPriorityPolicy=1}
   * (the tests run with it; lowering a thread's priority needs no privilege).
   */
  @Test
  void policyThreadsRunBelowTheLoopsPriority() throws Exception {
    assertTrue(PolicyThreads.run(channel, () -> Thread.currentThread().getPriority() + " " + nice(),
        (found, failure) -> ranOn.add(found), () -> {}));
    String[] found = ranOn.poll(5, TimeUnit.SECONDS).split(" ");
    assertEquals(Thread.MIN_PRIORITY, Integer.parseInt(found[0]));
    String policy = java.lang.management.ManagementFactory.getPlatformMXBean(
        com.sun.management.HotSpotDiagnosticMXBean.class).getVMOption("ThreadPriorityPolicy").getValue();
    if (!"-1".equals(found[1]) && "1".equals(policy)) {
      assertTrue(Integer.parseInt(found[1]) > nice(), "the OS runs a policy thread at nice " + found[1]
          + ", this thread at " + nice());
    }
  }

  /** This thread's nice value on Linux (field 19 of /proc/thread-self/stat), else -1. */
  private static int nice() {
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/thread-self/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Integer.parseInt(fields[16]); // field 19, counted from field 3 (state)
    } catch (java.io.IOException | RuntimeException e) {
      return -1;
    }
  }

  @Test
  void whatTheContinuationThrowsGoesDownThePipeline() throws Exception {
    IllegalStateException bug = new IllegalStateException("a policy's bug");
    assertTrue(PolicyThreads.run(channel, () -> 1, (one, failure) -> {
      throw bug;
    }, () -> {}));
    Throwable got = caught.poll(5, TimeUnit.SECONDS);
    assertInstanceOf(IllegalStateException.class, got);
    assertEquals(bug, got);
  }
}
