/**
 * The report's colours, in one place: the page draws with them and the Chromium test looks
 * for the rollback and failure colours among the screenshot's pixels. Only batch phases (and
 * the legend's 12-pixel swatches) use `rollback` and `failure`, so a wide run of them in a
 * row of pixels is a batch's phase: the workflow steps row and the text use other shades.
 */
export const COLOURS = {
  /** A forward batch's install, and its other phases lighter. */
  install: '#2b6cb0',
  forward: '#90cdf4',
  /** Everything that undoes the release: a failed batch's own rollback and the revert batches. */
  rollback: '#6b21a8',
  /** The phase, the step and the row that failed. */
  failure: '#dc2626',
  /** The workflow steps row: a failed step, and the rollback's steps, in lighter shades than a batch's. */
  failedStep: '#f87171',
  rollbackStep: '#c4b5fd',
  /** The headline and the cause of a failed run. */
  failedText: '#991b1b',
  bake: '#d97706',
  step: '#a0aec0',
  inService: '#2f855a',
  floor: '#1a202c',
  grid: '#e2e8f0',
  text: '#1a202c',
} as const;

/** As [r, g, b], for reading pixels. */
export function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
