/**
 * Check Retired: every host of the batch is stopped (or, by the tier's policy, terminated).
 * Past the timeout: RetireFailedError, naming the hosts (they are out of traffic).
 */
import { RetireFailedError } from '../domain/contract/errors';
import { findInstancesById } from '../shared/instances';
import { completePhase, continuePhase, requirePhase, watchPhase } from '../shared/phase';
import { describeHosts } from '../shared/polling';
import type { BatchTaskInput, PhaseState } from '../domain/contract/payloads';
import { RETIRE_TIMEOUT_SECONDS } from './retiring';

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(checkRetired, (event: BatchTaskInput) => event.tier.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';

export async function checkRetired(event: BatchTaskInput): Promise<PhaseState> {
  const phase = requirePhase(event);
  const { tier, batch } = event;
  const now = Date.now();
  const wanted = (tier.retire ?? 'stop') === 'stop' ? new Set(['stopped', 'terminated']) : new Set(['terminated']);
  const hosts = await findInstancesById(batch.hosts.map((h) => h.id));
  const waiting = hosts.filter((h) => !wanted.has(h.state));
  if (waiting.length === 0) return completePhase(phase, now);
  if (now < phase.deadline) return continuePhase(phase, tier.polling, now);
  throw new RetireFailedError(
    `tier ${tier.name}: ${describeHosts(waiting)} not ${[...wanted].join(' or ')} ${RETIRE_TIMEOUT_SECONDS}s after being asked; they are out of traffic`,
  );
}

