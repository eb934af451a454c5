/**
 * The telemetry store and the durable half of the spend ledger: one encrypted SQLite file in
 * {@code PARAPET_DATA_DIR}. Decisions an operator or reviewer should know, each explained in the
 * class named:
 *
 * <ul>
 *   <li><b>At rest</b> ({@link dev.parapet.core.store.EncryptedDatabase}): SQLite3 Multiple
 *       Ciphers, cipher {@code chacha20} (ChaCha20-Poly1305 per page, WAL included), keyed with
 *       the raw 32-byte {@code KeyPurpose.STORE} sub-key. A wrong key fails with "the store in
 *       &lt;dir&gt; was not written with this master key" and leaves the file untouched. One
 *       process per directory ({@code parapet.lock}).
 *   <li><b>Durability</b>: WAL, {@code synchronous=NORMAL}. kill -9 loses nothing committed; a
 *       power loss can lose the last WAL frames not yet synced. The WAL is copied back by its own
 *       thread ({@link dev.parapet.core.store.Checkpointer}), not by the writer's commits; the WAL
 *       file may grow to ~32 MB before it starts over.
 *   <li><b>Writes</b> ({@link dev.parapet.core.store.StoreWriter}): one thread, batches. Ledger
 *       work (holds, settlements, releases) is never dropped; a hold's future completes only after
 *       COMMIT. Request and event rows may be shed when their queue is full or their write fails
 *       twice, counted in {@code shedCount()} and logged at most every 10 s.
 *   <li><b>Tamper evidence</b> ({@link dev.parapet.core.store.ChainVerifier}): request and event
 *       rows share one sequence; each row's MAC (HMAC-SHA256, {@code KeyPurpose.STORE_MAC}) covers
 *       the previous MAC and the row with its seq; a MAC'd head makes a deleted tail visible.
 *       Verified at every open (a broken chain refuses to start unless {@code
 *       StoreOptions.acceptBrokenChain}, which logs each break and anchors a new segment right after
 *       it, so the rows after a break stay verified; rows before an accepted break are not
 *       re-checked)
 *       and on demand. Not covered: the ledger tables and the daily rollups (spend is protected by
 *       encryption, not by the chain), and a rollback of the whole file to an older copy.
 *   <li><b>Blocked</b> in usage: status &gt;= 400 with a policy refusal code — route_forbidden,
 *       model_not_allowed, max_tokens_in_exceeded, budget_exceeded, redaction_blocked, model_drift
 *       ({@link dev.parapet.core.store.RequestRecord#blocked()}).
 *   <li><b>Retention</b> ({@link dev.parapet.core.store.Retention}): rows dated before {@code
 *       today - keepDays} are rolled into {@code daily_rollup} and deleted with the events among
 *       them; a MAC'd anchor keeps the rest verifiable. Usage includes rolled-up days.
 *   <li><b>Events</b> are returned newest first by write order, at most 1,000 per query.
 *   <li><b>Keys</b>: copies made here are zeroed on close. Two copies are out of reach: the hex
 *       string the SQLite driver needs (a Java string) and the key inside the JCE {@code Mac}.
 * </ul>
 */
package dev.parapet.core.store;
