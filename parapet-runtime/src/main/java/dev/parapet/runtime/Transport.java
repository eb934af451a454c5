package dev.parapet.runtime;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * Native epoll when the platform has it, else NIO. The epoll classes are only on the runtime
 * class path (the native artifact brings them), so they are looked up by name.
 */
record Transport(String name, IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannel) {
  /** Test hook: NIO even where epoll is available, to test the fallback's behaviour on Linux. */
  static volatile boolean nioForTest;

  static Transport best() {
    if (nioForTest) {
      return nio();
    }
    try {
      Class<?> epoll = Class.forName("io.netty.channel.epoll.Epoll");
      if ((Boolean) epoll.getMethod("isAvailable").invoke(null)) {
        IoHandlerFactory factory = (IoHandlerFactory) Class.forName("io.netty.channel.epoll.EpollIoHandler")
            .getMethod("newFactory").invoke(null);
        Class<? extends ServerChannel> channel = Class.forName("io.netty.channel.epoll.EpollServerSocketChannel")
            .asSubclass(ServerChannel.class);
        return new Transport("epoll", factory, channel);
      }
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      // fall through to NIO
    }
    return nio();
  }

  private static Transport nio() {
    return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class);
  }
}
