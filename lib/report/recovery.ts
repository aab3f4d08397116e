/**
 * For restore-data and recover: the phases that make up the recovery time, as one stacked
 * bar (each step's share of the time from start to the data being back in service) and a
 * list of the steps with their durations. Recover's steps are those of the executions it
 * started (allocate, restore the data, release); restore-data's are its own.
 */
import type { RunReport } from './run';
import { formatElapsed } from '../simulator/progress';
import { COLOURS } from './colours';
import { coordinate, escapeHtml } from './escape';

const WIDTH = 900;
const PALETTE = ['#4299e1', '#48bb78', '#ed8936', '#9f7aea', '#38b2ac', '#ecc94b', '#f56565', '#a0aec0'];

export function renderRecovery(report: RunReport): string {
  if (report.workflow !== 'restore-data' && report.workflow !== 'recover') return '';
  const level = report.workflow === 'recover' ? 1 : 0;
  const steps = report.timeline.steps.filter((s) => s.level === level && s.end > s.start);
  const total = report.recoveryTimeSeconds ?? report.makespanSeconds;
  const span = Math.max(1, ...steps.map((s) => s.end), total);
  let offset = 0;
  const bars = steps.map((s, i) => {
    const width = ((s.end - s.start) / span) * WIDTH;
    const colour = s.failure ? COLOURS.failedStep : PALETTE[i % PALETTE.length]!;
    const bar = `<rect x="${coordinate(offset)}" y="0" width="${coordinate(Math.max(1, width))}" height="24" fill="${colour}"><title>${escapeHtml(`${s.name}: ${formatElapsed((s.end - s.start) * 1000)}`)}</title></rect>`;
    offset += width;
    return { bar, colour, step: s };
  });
  const items = bars
    .map(({ colour, step }) => `<li><span class="swatch" style="background:${colour}"></span>${escapeHtml(step.name)}: ${formatElapsed((step.end - step.start) * 1000)}${step.failure ? ` <strong>FAILED</strong> ${escapeHtml(step.failure.error)}` : ''}</li>`)
    .join('');
  const point = report.recoveryPointTime ? `; data as of ${escapeHtml(report.recoveryPointTime)}` : '';
  const headline =
    report.recoveryTimeSeconds !== undefined
      ? `recovery time ${formatElapsed(report.recoveryTimeSeconds * 1000)}${point}`
      : report.status === 'SUCCEEDED' || report.status === 'RUNNING'
        ? // Read from AWS: the steps below are measured, the recovery time as the simulator defines it is not.
          `${escapeHtml(report.status)} after ${formatElapsed(report.makespanSeconds * 1000)}`
        : `not recovered (${escapeHtml(report.status)}) after ${formatElapsed(report.makespanSeconds * 1000)}`;
  return `<section class="recovery"><h2>Recovery time</h2><p>${headline}</p><svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="24" role="img" aria-label="recovery phases">${bars.map((b) => b.bar).join('')}</svg><ul class="legend">${items}</ul></section>`;
}
