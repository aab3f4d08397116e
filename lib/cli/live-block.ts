/**
 * The live block `simulate` keeps below its progress lines on a terminal: one row per tier
 * (batches done of the tier's count, in service against the floor, the tier's ETA) and one
 * summary row, redrawn in place with ANSI cursor movement. It is fed the batch progress events
 * (lambdas/domain/contract/batch-events.ts), the same ones a release puts on its bus on AWS.
 *
 * Bounded at any fleet size: a row holds counts and a tier name, never hosts, and is cut to the
 * terminal's width and to MAX_LINE_CHARS; there are at most one row per tier plus one. On
 * anything but a terminal (a pipe, a file, CI, `--json`, NO_COLOR, TERM=dumb) there is no block
 * and the progress lines are written exactly as they are (`liveBlockWanted`).
 */
import { BATCH_EVENT_SOURCE, type BatchProgressDetail } from '../../lambdas/domain/contract/batch-events';
import type { SimulatedAccount } from '../simulator/account';
import { MAX_LINE_CHARS } from '../simulator/progress';

/** Where the block is drawn: a TTY write stream, or a test's stand-in for one. */
export interface LiveStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  /** The terminal's width in characters, when known. */
  readonly columns?: number;
}

/** One event as the block reads it: when it was put (virtual epoch ms) and its detail. */
export interface BlockEvent {
  readonly at: number;
  readonly detail: Pick<BatchProgressDetail, 'tier' | 'batch' | 'batchCount' | 'rollback' | 'phase' | 'inService' | 'floor' | 'release'>;
}

/**
 * Whether to draw the block: only for a person at a terminal. CI sets `CI`; NO_COLOR
 * (no-color.org) and TERM=dumb ask for plain output; `--json` keeps stderr for lines.
 */
export function liveBlockWanted(stream: LiveStream, env: NodeJS.ProcessEnv, json: boolean): boolean {
  const set = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
  return stream.isTTY === true && !json && !set(env.CI) && (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb';
}

const ESC = '\u001b[';
/** Up `n` rows, to the first column, and erase from there to the end of the screen. */
const eraseRows = (n: number) => (n > 0 ? `${ESC}${n}A\r${ESC}J` : '');
/** A block redraw at most this often (real milliseconds); a progress line redraws it anyway. */
const REDRAW_MS = 100;
/** Tier names are padded to the longest seen, up to this, so the columns line up. */
const NAME_COLUMN = 24;

interface TierRow {
  readonly name: string;
  batchCount: number;
  readonly done: Set<number>;
  /** The revert's own batches (a release's rollback plan numbers them anew), by its count. */
  revert?: { count: number; readonly done: Set<number> };
  inService: number | null;
  floor: number;
  firstAt: number;
  lastAt: number;
}

export interface LiveBlockOptions {
  /** Real time in ms, for the redraw rate. @default performance.now */
  readonly now?: () => number;
}

export class LiveBlock {
  private readonly tiers = new Map<string, TierRow>();
  private drawn = 0;
  private lastDraw = -Infinity;
  private firstAt?: number;
  private lastAt?: number;
  private release?: string;
  private finished = false;
  private readonly now: () => number;

  constructor(private readonly stream: LiveStream, options: LiveBlockOptions = {}) {
    this.now = options.now ?? (() => performance.now());
  }

  /** A progress line, printed above the block exactly as on a non-terminal. */
  line(text: string): void {
    if (this.finished) {
      this.stream.write(`${text}\n`);
      return;
    }
    this.stream.write(`${eraseRows(this.drawn)}${text}\n${this.frame()}`);
    this.drawn = this.rows().length;
    this.lastDraw = this.now();
  }

  /** A batch progress event: the tier's row changes; redrawn unless one was drawn very recently. */
  update(event: BlockEvent): void {
    const d = event.detail;
    this.firstAt ??= event.at;
    this.lastAt = event.at;
    this.release ??= d.release;
    let row = this.tiers.get(d.tier);
    if (!row) {
      row = { name: d.tier, batchCount: d.batchCount, done: new Set(), inService: null, floor: d.floor, firstAt: event.at, lastAt: event.at };
      this.tiers.set(d.tier, row);
    }
    row.lastAt = event.at;
    row.floor = d.floor;
    if (d.inService !== null) row.inService = d.inService;
    if (!d.rollback) {
      row.batchCount = d.batchCount;
      if (d.phase === 'returned') row.done.add(d.batch);
    } else {
      if (!row.revert || row.revert.count !== d.batchCount) row.revert = { count: d.batchCount, done: new Set() };
      if (d.phase === 'reverted') row.revert.done.add(d.batch);
    }
    if (!this.finished && this.now() - this.lastDraw >= REDRAW_MS) this.redraw();
  }

  /** Erases the block: what stays on the screen is the progress lines alone, as on a non-terminal. */
  finish(): void {
    if (this.finished) return;
    this.stream.write(eraseRows(this.drawn));
    this.drawn = 0;
    this.finished = true;
  }

  /** The rows of the current frame, each at most the width allowed. */
  rows(): string[] {
    if (this.tiers.size === 0) return [];
    const width = Math.max(20, Math.min(MAX_LINE_CHARS, (this.stream.columns ?? MAX_LINE_CHARS) - 1));
    const pad = Math.min(NAME_COLUMN, Math.max(...[...this.tiers.keys()].map((n) => n.length)));
    const rows = [...this.tiers.values()].map((t) => this.tierRow(t, pad));
    rows.push(this.summaryRow());
    return rows.map((r) => cut(r, width));
  }

  private redraw(): void {
    this.stream.write(`${eraseRows(this.drawn)}${this.frame()}`);
    this.drawn = this.rows().length;
    this.lastDraw = this.now();
  }

  private frame(): string {
    const rows = this.rows();
    return rows.length === 0 ? '' : `${rows.join('\n')}\n`;
  }

  private tierRow(t: TierRow, pad: number): string {
    const name = cut(t.name, pad).padEnd(pad);
    const service = t.inService === null ? `floor ${t.floor}` : `in service ${t.inService}/${t.floor} floor${t.inService < t.floor ? ' BELOW' : ''}`;
    const forward = `batches ${t.done.size}/${t.batchCount}`;
    if (t.revert) return `  ${name}  ${forward}  ROLLBACK ${t.revert.done.size}/${t.revert.count}  ${service}  ${eta(t.revert.done.size, t.revert.count, t.firstAt, t.lastAt)}`;
    return `  ${name}  ${forward}  ${service}  ${eta(t.done.size, t.batchCount, t.firstAt, t.lastAt)}`;
  }

  private summaryRow(): string {
    const tiers = [...this.tiers.values()];
    const done = tiers.reduce((n, t) => n + t.done.size, 0);
    const total = tiers.reduce((n, t) => n + t.batchCount, 0);
    const elapsed = (this.lastAt ?? 0) - (this.firstAt ?? 0);
    const reverting = tiers.some((t) => t.revert) ? '  rolling back' : '';
    return `  ${this.release ?? ''}: ${done}/${total} batches of ${tiers.length} tier(s) so far, ${clock(elapsed)} elapsed${reverting}`;
  }
}

/** The tier's expected end: its pace so far times the batches left (virtual time). */
function eta(done: number, count: number, firstAt: number, lastAt: number): string {
  if (done >= count) return 'done';
  if (done === 0) return 'ETA -';
  return `ETA ${clock(((lastAt - firstAt) / done) * (count - done))}`;
}

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(s / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** What a `simulate` command writes its progress through: plain lines, or lines above a live block. */
export interface ProgressOutput {
  readonly onProgress: (line: string) => void;
  /** Feeds the block from the simulated account's bus (its batch progress events). */
  readonly watch: (account: SimulatedAccount) => void;
  /** Erases the block before the summary is printed. */
  readonly finish: () => void;
}

export function progressOutput(stream: LiveStream, json: boolean, env: NodeJS.ProcessEnv = process.env): ProgressOutput {
  if (!liveBlockWanted(stream, env, json)) {
    return { onProgress: (line) => void stream.write(`${line}\n`), watch: () => {}, finish: () => {} };
  }
  const block = new LiveBlock(stream);
  return {
    onProgress: (line) => block.line(line),
    watch: (account) => {
      account.onEvent = (event) => {
        if (event.source === BATCH_EVENT_SOURCE) block.update({ at: event.at, detail: event.detail as unknown as BlockEvent['detail'] });
      };
    },
    finish: () => block.finish(),
  };
}
