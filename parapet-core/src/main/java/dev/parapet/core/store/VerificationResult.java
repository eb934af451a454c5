package dev.parapet.core.store;

import java.util.Objects;
import java.util.Optional;

/**
 * Outcome of checking the journal's hash chain.
 *
 * @param rowsChecked rows whose MAC was recomputed (from the latest anchor on)
 * @param brokenAtSeq the first sequence number where the chain does not hold
 * @param problem what was found there
 * @param detail a one-line explanation naming seqs only, never row contents
 */
public record VerificationResult(
    long rowsChecked, Optional<Long> brokenAtSeq, Optional<Problem> problem, String detail) {

  /** Kinds of breakage. */
  public enum Problem {
    /** A row's contents do not match its MAC. */
    EDITED,
    /** A sequence number is absent: a row was deleted from the middle. */
    MISSING,
    /** A row's MAC is valid for another position: rows were swapped or moved. */
    REORDERED,
    /** The MAC'd head disagrees with the last row (tail deleted) or was itself altered. */
    HEAD_MISMATCH,
    /** A chain anchor (retention or accepted break) was altered. */
    ANCHOR_INVALID
  }

  public VerificationResult {
    Objects.requireNonNull(brokenAtSeq, "brokenAtSeq");
    Objects.requireNonNull(problem, "problem");
    Objects.requireNonNull(detail, "detail");
  }

  static VerificationResult ok(long rows) {
    return new VerificationResult(rows, Optional.empty(), Optional.empty(), "chain intact");
  }

  static VerificationResult broken(long rows, long seq, Problem problem, String detail) {
    return new VerificationResult(rows, Optional.of(seq), Optional.of(problem), detail);
  }

  public boolean ok() {
    return problem.isEmpty();
  }
}
