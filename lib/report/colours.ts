/**
 * The report's colours, in one place: the page draws with them and the Chromium test looks
 * for the rollback and failure colours among the screenshot's pixels. No other element uses
 * ROLLBACK or FAILURE, so finding them means a rollback phase and a failure were drawn.
 */
export const COLOURS = {
  /** A forward batch's install, and its other phases lighter. */
  install: '#2b6cb0',
  forward: '#90cdf4',
  /** Everything that undoes the release: a failed batch's own rollback and the revert batches. */
  rollback: '#6b21a8',
  /** The phase, the step and the row that failed. */
  failure: '#dc2626',
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
