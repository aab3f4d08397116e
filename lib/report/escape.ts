/**
 * Every string the report puts in its HTML goes through here: host names, causes and
 * environment names come from definitions and executions, and may hold <, &, or quotes.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values alike (attributes are always double-quoted). */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A number for an SVG coordinate: finite, two decimals at most. */
export function coordinate(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 100) / 100) : '0';
}
