/**
 * The Gantt of a run as inline SVG: a row of the workflow's steps (bake in its own colour),
 * then the batches per tier, each phase a bar: forward in blue, anything that undoes the
 * release in ROLLBACK's colour, the phase that failed in FAILURE's. Up to MAX_BATCH_ROWS
 * batches get a row each; more share one row per tier and direction, except a failed batch,
 * which always keeps its own row (the row a person looks for).
 */
import type { Timeline, TimelinePhase, TimelineStep } from '../simulator/timeline';
import { formatElapsed } from '../simulator/progress';
import { COLOURS } from './colours';
import { coordinate, escapeHtml } from './escape';

export const MAX_BATCH_ROWS = 60;
const LABEL_WIDTH = 330;
const CHART_WIDTH = 900;
const ROW_HEIGHT = 22;
const BAR_HEIGHT = 16;
const AXIS_HEIGHT = 24;

interface Row {
  readonly label: string;
  readonly direction: 'forward' | 'rollback' | 'steps';
  readonly hosts: string;
  readonly failed: boolean;
  readonly bars: ReadonlyArray<{ start: number; end: number; colour: string; title: string; failed: boolean }>;
}

function stepColour(step: TimelineStep): string {
  if (step.failure) return COLOURS.failedStep;
  if (/^bake/.test(step.name)) return COLOURS.bake;
  if (/rollback|repoint back/.test(step.name)) return COLOURS.rollbackStep;
  return COLOURS.step;
}

function phaseColour(phase: TimelinePhase): string {
  if (phase.failure) return COLOURS.failure;
  if (phase.direction === 'rollback') return COLOURS.rollback;
  return phase.phase === 'install' ? COLOURS.install : COLOURS.forward;
}

function phaseTitle(p: TimelinePhase): string {
  const failure = p.failure ? ` FAILED ${p.failure.error}: ${p.failure.cause}` : '';
  return `${p.tier} ${p.direction === 'rollback' ? 'rollback' : 'batch'} ${p.batch}/${p.batches} ${p.phase} (${p.hostNames}) ${formatElapsed(p.start * 1000)}-${formatElapsed(p.end * 1000)}${failure}`;
}

function batchRows(phases: readonly TimelinePhase[]): Row[] {
  // A failed batch's own rollback stays on its batch's row: the row shows what happened to those hosts.
  const key = (p: TimelinePhase) => `${p.tier}|${p.revert}|${p.batch}|${p.batches}`;
  const byBatch = new Map<string, TimelinePhase[]>();
  for (const p of phases) {
    const list = byBatch.get(key(p));
    if (list) list.push(p);
    else byBatch.set(key(p), [p]);
  }
  const rowOf = (list: TimelinePhase[], label: string, hosts: string): Row => ({
    label,
    direction: list.every((p) => p.direction === 'rollback') ? 'rollback' : 'forward',
    hosts,
    failed: list.some((p) => p.failure),
    bars: list.map((p) => ({ start: p.start, end: p.end, colour: phaseColour(p), title: phaseTitle(p), failed: p.failure !== undefined })),
  });
  if (byBatch.size <= MAX_BATCH_ROWS) {
    return [...byBatch.values()].map((list) => {
      const [first] = list;
      return rowOf(list, `${first!.tier} ${first!.revert ? 'rollback' : 'batch'} ${first!.batch}/${first!.batches}: ${first!.hostNames}`, first!.hostNames);
    });
  }
  // Many batches: one row per tier and direction, the failed batches on rows of their own.
  const grouped = new Map<string, TimelinePhase[]>();
  const rows: Row[] = [];
  for (const list of byBatch.values()) {
    const [first] = list;
    if (list.some((p) => p.failure)) {
      rows.push(rowOf(list, `${first!.tier} ${first!.revert ? 'rollback' : 'batch'} ${first!.batch}/${first!.batches}: ${first!.hostNames}`, first!.hostNames));
      continue;
    }
    const group = `${first!.tier}|${first!.revert ? 'rollback' : 'forward'}`;
    const kept = grouped.get(group);
    if (kept) kept.push(...list);
    else grouped.set(group, [...list]);
  }
  for (const [group, list] of grouped) {
    const [tier, direction] = group.split('|');
    const batches = new Set(list.map((p) => p.batch)).size;
    rows.push(rowOf(list, `${tier} ${direction === 'rollback' ? 'rollback' : 'batches'} (${batches})`, `${list.reduce((n, p) => n + (p.phase === list[0]!.phase ? p.hosts : 0), 0)} hosts`));
  }
  return rows.sort((a, b) => Math.min(...a.bars.map((x) => x.start)) - Math.min(...b.bars.map((x) => x.start)));
}

/** The SVG, sized to its rows; `span` is the run's length in seconds (the axis). */
export function renderGantt(timeline: Timeline, span: number): string {
  const steps: Row = {
    label: 'workflow steps',
    direction: 'steps',
    hosts: '',
    failed: timeline.steps.some((s) => s.failure && s.level === 0),
    bars: timeline.steps.filter((s) => s.level === 0).map((s) => ({ start: s.start, end: s.end, colour: stepColour(s), title: `${s.name} ${formatElapsed(s.start * 1000)}-${formatElapsed(s.end * 1000)}${s.failure ? ` FAILED ${s.failure.error}: ${s.failure.cause}` : ''}`, failed: s.failure !== undefined })),
  };
  const rows = [steps, ...batchRows(timeline.phases)];
  const total = Math.max(1, span);
  const x = (seconds: number) => LABEL_WIDTH + (Math.max(0, seconds) / total) * CHART_WIDTH;
  const height = AXIS_HEIGHT + rows.length * ROW_HEIGHT + 4;
  const parts: string[] = [];
  // Axis: five ticks of virtual time.
  for (let i = 0; i <= 5; i += 1) {
    const at = (total * i) / 5;
    parts.push(`<line x1="${coordinate(x(at))}" y1="${AXIS_HEIGHT - 6}" x2="${coordinate(x(at))}" y2="${height}" stroke="${COLOURS.grid}"/>`);
    parts.push(`<text x="${coordinate(x(at))}" y="12" font-size="11" text-anchor="middle" fill="${COLOURS.text}">${escapeHtml(formatElapsed(at * 1000))}</text>`);
  }
  rows.forEach((row, i) => {
    const y = AXIS_HEIGHT + i * ROW_HEIGHT;
    const classes = ['gantt-row', row.direction, ...(row.failed ? ['failed'] : [])].join(' ');
    parts.push(`<g class="${classes}" data-label="${escapeHtml(row.label)}" data-hosts="${escapeHtml(row.hosts)}" data-direction="${row.direction}">`);
    if (row.failed) parts.push(`<rect x="0" y="${y}" width="${LABEL_WIDTH - 6}" height="${ROW_HEIGHT - 2}" fill="#fee2e2"/>`);
    parts.push(`<text x="4" y="${y + 15}" font-size="12" fill="${COLOURS.text}"${row.failed ? ' font-weight="bold"' : ''}>${escapeHtml(row.label.length > 50 ? `${row.label.slice(0, 49)}…` : row.label)}</text>`);
    for (const bar of row.bars) {
      const width = Math.max(2, x(bar.end) - x(bar.start));
      parts.push(
        `<rect class="phase${bar.failed ? ' failed' : ''}" x="${coordinate(x(bar.start))}" y="${y + (ROW_HEIGHT - BAR_HEIGHT) / 2}" width="${coordinate(width)}" height="${BAR_HEIGHT}" fill="${bar.colour}"><title>${escapeHtml(bar.title)}</title></rect>`,
      );
    }
    parts.push('</g>');
  });
  return `<svg class="gantt" xmlns="http://www.w3.org/2000/svg" width="${LABEL_WIDTH + CHART_WIDTH + 40}" height="${height}" role="img" aria-label="batches over time">${parts.join('')}</svg>`;
}
