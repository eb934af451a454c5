/** What model calls cost: the built-in, dated list-price table and per-route overrides. */
package dev.parapet.core.pricing;
