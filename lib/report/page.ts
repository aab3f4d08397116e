/**
 * The whole page: one self-contained HTML document (inline CSS and SVG, no script, nothing
 * fetched when it is opened: a CSP that forbids every fetch says so to the browser too).
 */
import { formatElapsed } from '../simulator/progress';
import { COLOURS } from './colours';
import { escapeHtml } from './escape';
import { renderGantt } from './gantt';
import { renderInService } from './in-service';
import { renderRecovery } from './recovery';
import type { RunReport } from './run';
import { renderSteps } from './steps';

const CSS = `
body{font-family:system-ui,sans-serif;margin:16px;color:${COLOURS.text}}
h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:18px 0 6px}
.outcome.failed{color:${COLOURS.failedText}}.outcome.succeeded{color:${COLOURS.inService}}
.cause{font-family:ui-monospace,monospace;font-size:12px}
p.cause{background:#fee2e2;padding:6px;border-left:4px solid ${COLOURS.failedText}}
table.steps{border-collapse:collapse;font-size:13px}table.steps td,table.steps th{padding:2px 8px;text-align:left;border-bottom:1px solid ${COLOURS.grid}}
tr.step.failed{background:#fee2e2}tr.level-1 td.name{padding-left:24px}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:12px;font-size:12px}
.swatch{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
.omitted{font-size:13px;color:#555}
.capacity{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0}figcaption{font-size:12px}
`;

function legend(): string {
  const items: Array<[string, string]> = [
    [COLOURS.install, 'install'],
    [COLOURS.forward, 'out of traffic, back, other forward phases'],
    [COLOURS.bake, 'bake'],
    [COLOURS.rollback, 'rollback (revert)'],
    [COLOURS.failure, 'failed'],
    [COLOURS.step, 'other workflow steps'],
    [COLOURS.rollbackStep, 'rollback step'],
    [COLOURS.failedStep, 'failed step'],
  ];
  return `<ul class="legend">${items.map(([c, t]) => `<li><span class="swatch" style="background:${c}"></span>${escapeHtml(t)}</li>`).join('')}</ul>`;
}

/** What `restart:SECONDS` did: the stop and the start again, both drawn below (or why nothing was stopped). */
function restartLine(report: RunReport): string {
  const r = report.restart;
  if (!r) return '';
  const at = (seconds: number) => formatElapsed(seconds * 1000);
  if (!r.applied) return `<p class="restart">restart:${r.stopAfterSeconds} not applied: the execution had ended; it is the run's only execution</p>`;
  return (
    `<p class="restart">${escapeHtml(r.stoppedExecution ?? '?')} was stopped at ${at(r.stopAfterSeconds)} (StopExecution, restart:${r.stopAfterSeconds}) and started again ` +
    `as ${escapeHtml(report.executionName)} at ${at(r.startedAgainAtSeconds ?? r.stopAfterSeconds)} with the same input: both executions are drawn, on one clock from the first start</p>`
  );
}

export function renderPage(report: RunReport): string {
  const what = report.workflow === 'deploy' ? `release ${report.release ?? '?'}` : report.workflow;
  const title = `FleetFlow ${what} on ${report.environment}: ${report.status}`;
  const failure = report.error ? `<p class="cause"><strong>${escapeHtml(report.error)}</strong>: ${escapeHtml(report.cause ?? '')}</p>` : '';
  const bound = (report.lowerBoundSeconds ?? 0) > 0 ? `, lower bound ${formatElapsed(report.lowerBoundSeconds! * 1000)}` : '';
  const clock = report.source === 'aws' ? 'time' : 'virtual time';
  const transitions = report.stateTransitions === undefined ? '' : `; ${report.stateTransitions} state transitions`;
  // What the source could not give is said, not drawn from a guess.
  const omittedFigures = (report.omitted ?? []).map((text) => `<p class="omitted">${escapeHtml(text)}</p>`).join('');
  const omitted = report.timeline.bounds.phasesOmitted > 0 ? `<p>${report.timeline.bounds.phasesOmitted} later phases are not drawn (at most ${report.timeline.bounds.maxPhases}).</p>` : '';
  const span = report.makespanSeconds;
  const restart = restartLine(report);
  const executions = report.restart?.applied ? `executions ${escapeHtml(report.restart.stoppedExecution ?? '?')} and ${escapeHtml(report.executionName)}` : `execution ${escapeHtml(report.executionName)}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // Nothing may be fetched at view time: no script, no style sheet, no image, no font from anywhere.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>`,
    `<h1 class="outcome ${report.status === 'SUCCEEDED' ? 'succeeded' : report.status === 'RUNNING' ? 'running' : 'failed'}">${escapeHtml(title)}</h1>`,
    failure,
    `<p>${executions}; ${clock} ${formatElapsed(span * 1000)}${bound}${transitions}${report.rolledBack ? '; the release was rolled back' : ''}</p>`,
    restart,
    omittedFigures,
    '<h2>Batches per tier</h2>',
    legend(),
    renderGantt(report.timeline, span),
    omitted,
    '<h2>In service per tier</h2>',
    report.timeline.inService.length === 0 ? '<p class="omitted">Not measured for this run.</p>' : `<div class="capacity">${report.timeline.inService.map((s) => renderInService(s, span)).join('')}</div>`,
    renderRecovery(report),
    '<h2>Steps</h2>',
    renderSteps(report.timeline.steps),
    '</body></html>',
    '',
  ].join('\n');
}
