/**
 * Each tier's hosts in service over time as an inline SVG step line, against the tier's
 * floor (its minimum in service, dashed): a dip under the dashed line is a broken promise.
 * The points are the timeline's change points (bounded there; a downsampled series keeps
 * each bucket's lowest count, so a dip is never drawn away).
 */
import type { InServiceSeries } from '../simulator/timeline';
import { formatElapsed } from '../simulator/progress';
import { COLOURS } from './colours';
import { coordinate, escapeHtml } from './escape';

const WIDTH = 560;
const HEIGHT = 120;
const LEFT = 44;
const TOP = 10;
const BOTTOM = 20;

export function renderInService(series: InServiceSeries, span: number): string {
  const total = Math.max(1, span);
  const top = Math.max(1, series.floor ?? 0, ...series.points.map(([, n]) => n));
  const x = (seconds: number) => LEFT + (Math.min(total, Math.max(0, seconds)) / total) * (WIDTH - LEFT - 8);
  const y = (count: number) => TOP + (1 - count / top) * (HEIGHT - TOP - BOTTOM);
  // A step line: each count holds until the next change, the last until the end of the run.
  const path: string[] = [];
  series.points.forEach(([at, count], i) => {
    const next = series.points[i + 1]?.[0] ?? total;
    path.push(`${i === 0 ? 'M' : 'L'}${coordinate(x(at))},${coordinate(y(count))}`, `L${coordinate(x(next))},${coordinate(y(count))}`);
  });
  const lowest = Math.min(...series.points.map(([, n]) => n));
  const parts = [
    `<line x1="${LEFT}" y1="${coordinate(y(0))}" x2="${WIDTH - 8}" y2="${coordinate(y(0))}" stroke="${COLOURS.grid}"/>`,
    `<text x="${LEFT - 4}" y="${coordinate(y(top) + 4)}" font-size="10" text-anchor="end">${top}</text>`,
    `<text x="${LEFT - 4}" y="${coordinate(y(0) + 4)}" font-size="10" text-anchor="end">0</text>`,
    `<text x="${WIDTH - 8}" y="${HEIGHT - 4}" font-size="10" text-anchor="end">${escapeHtml(formatElapsed(total * 1000))}</text>`,
    `<path class="in-service" d="${path.join(' ')}" fill="none" stroke="${COLOURS.inService}" stroke-width="2"/>`,
  ];
  if (series.floor !== undefined) {
    parts.push(
      `<line class="floor" x1="${LEFT}" y1="${coordinate(y(series.floor))}" x2="${WIDTH - 8}" y2="${coordinate(y(series.floor))}" stroke="${COLOURS.floor}" stroke-dasharray="6 4"/>`,
      `<text x="${LEFT + 4}" y="${coordinate(y(series.floor) - 3)}" font-size="10">floor ${series.floor}</text>`,
    );
  }
  const note = series.downsampled ? ` (${series.changePoints} changes drawn as ${series.points.length} points, each the lowest of its interval)` : '';
  const floorNote = series.floor === undefined ? 'no floor' : `floor ${series.floor}`;
  return `<figure class="tier-capacity" data-tier="${escapeHtml(series.tier)}"><figcaption>${escapeHtml(series.tier)}: lowest ${lowest} in service, ${escapeHtml(floorNote)}${escapeHtml(note)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(series.tier)} in service over time">${parts.join('')}</svg></figure>`;
}
