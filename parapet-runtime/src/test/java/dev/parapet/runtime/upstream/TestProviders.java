package dev.parapet.runtime.upstream;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The real provider layer is used end to end; this only holds the tests' JSON mapper. */
final class TestProviders {
  static final ObjectMapper JSON = new ObjectMapper();

  private TestProviders() {}

  static UpstreamProviders create() {
    return UpstreamProviders.builtIn();
  }
}
