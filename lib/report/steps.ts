/**
 * The workflow's steps as a table, in order, with the step that failed highlighted and the
 * error and cause it failed with; a nested execution's steps (recover's allocate,
 * restore-data and deploy) indented under their parent's.
 */
import type { TimelineStep } from '../simulator/timeline';
import { formatElapsed } from '../simulator/progress';
import { escapeHtml } from './escape';

export function renderSteps(steps: readonly TimelineStep[]): string {
  if (steps.length === 0) return '<p>No workflow step was reached.</p>';
  const rows = steps.map((step) => {
    const failure = step.failure ? `${escapeHtml(step.failure.error)}: ${escapeHtml(step.failure.cause)}` : '';
    return (
      `<tr class="step level-${step.level}${step.failure ? ' failed' : ''}">` +
      `<td class="name">${escapeHtml(step.name)}</td><td>${formatElapsed(step.start * 1000)}</td><td>${formatElapsed((step.end - step.start) * 1000)}</td>` +
      `<td>${step.failure ? '<strong>FAILED</strong>' : 'done'}</td><td class="cause">${failure}</td></tr>`
    );
  });
  return `<table class="steps"><thead><tr><th>step</th><th>start</th><th>took</th><th>outcome</th><th>failure</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
