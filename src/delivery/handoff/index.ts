/**
 * The handoff: fresh deliveries go from the write that made them straight to this process's
 * dispatcher, leased to it in the same INSERT, so they need no claim. A claim is a write statement:
 * on SQLite it waits for the writing thread's next commit group (the write turn), and on PostgreSQL
 * it costs a round trip per wake-up. The lease keeps every guarantee of a claim: the rows are in the
 * database before anything is sent; the dispatcher's heartbeat extends their lease; if the process
 * dies, the lease runs out and any worker claims them (same delivery id).
 *
 * Handing off stops while the dispatcher's load plus what is outstanding would pass its limit (one
 * account's share of the send slots). So no account gets more through handoffs than a claim would
 * give it, the other slots stay free for claims (a handoff never makes the dispatcher "full" for
 * other accounts), and memory stays bounded whatever the write rate: beyond it (a slow endpoint, a
 * burst) deliveries are written unleased and claimed as before.
 *
 * One name per concept, and what each promises:
 * - lease (HandoffWriter.lease): inside the write, the deliveries the dispatcher can take are
 *   written leased to its owner. Only those due now, not coalesced, of an endpoint not paused.
 * - owner: the dispatcher's lease owner that reserve() returned. Only that owner frees the
 *   reservation or sends the deliveries; a restarted delivery thread is a new owner with a new count.
 * - reserve / unreserve (HandoffTarget): a write takes its share of the limit atomically when it
 *   leases, so writes in flight together cannot pass it; a write that never commits (rolled back,
 *   or run again) unreserves it.
 * - give (HandoffTarget.give): after the commit, never before, the leased deliveries with the
 *   subscriptions they were rendered for go to the dispatcher: in this thread, or across threads.
 * - gaveAll (HandoffWriter.gaveAll, onClaimable): a commit whose every delivery was given leaves
 *   nothing to claim, here or in another process: it wakes no claim and announces nothing.
 * - count (HandoffCount), shared between the threads: outstanding (reserved, or given and not
 *   ended), load (the dispatcher's claimed deliveries, queued and in flight), limit. load +
 *   outstanding never passes the limit through a reservation.
 * - held (HandoffTaker.held): a given delivery the dispatcher queued; it is counted in outstanding
 *   only, so the load the taker publishes leaves it out (counted twice, handing off would stop at
 *   half the limit and the dispatcher would claim those deliveries instead).
 * - ended (HandoffTaker.ended): a given delivery is done with here (its attempt made or cancelled,
 *   released as it arrived, given back from the queue, or given while stopping): it frees its one
 *   of the count, exactly once.
 */
export { HandoffCount } from './count.js';
export { handoffTarget, type HandoffTarget, type TakingSide } from './target.js';
export { HandoffTaker, type TakerOptions } from './taker.js';
export { HandoffWriter } from './writer.js';
