/** Writing Server-Sent Event answers to the caller (WHATWG HTML §9.2), chunked (RFC 9112 §7.1). */
package dev.parapet.runtime.stream;
