/**
 * The execution input a release window starts with: the release queued for it, plus
 * the window's own settings. The stack's schedules and the simulator both use it.
 */
import type { ReleaseWindow } from './environment/model';
import { QUEUED_RELEASE } from './contract/payloads';

export function releaseWindowInput(window: ReleaseWindow): Record<string, unknown> {
  return {
    releaseFrom: QUEUED_RELEASE,
    component: window.component,
    ...(window.onValidationFailure ? { onValidationFailure: window.onValidationFailure } : {}),
    ...(window.requireApproval === undefined ? {} : { requireApproval: window.requireApproval }),
  };
}
