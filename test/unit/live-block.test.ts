/**
 * The live block of `simulate` on a terminal (lib/cli/live-block.ts), drawn on a fake TTY and
 * read back through a small terminal model: bounded rows at any fleet size, the progress lines
 * kept as they are, and nothing of the block left once it finishes. No simulation runs here.
 */
import { describe, expect, it } from 'vitest';
import type { BatchProgressDetail } from '../../lambdas/domain/contract/batch-events';
import { LiveBlock, liveBlockWanted, progressOutput, type BlockEvent, type LiveStream } from '../../lib/cli/live-block';
import { MAX_LINE_CHARS } from '../../lib/simulator/progress';

/** A terminal as far as the block drives it: text, newline, carriage return, cursor up (ESC[nA), erase below (ESC[J). */
class FakeTerminal implements LiveStream {
  readonly isTTY = true;
  readonly screen: string[] = [''];
  row = 0;
  col = 0;
  writes = 0;
  constructor(readonly columns?: number) {}

  write(chunk: string): boolean {
    this.writes += 1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === '\u001b') {
        // ESC then '[', digits, A or J: the only sequences the block may write.
        const m = /^.\[(\d*)([AJ])/.exec(chunk.slice(i));
        if (!m) throw new Error(`unexpected escape ${JSON.stringify(chunk.slice(i, i + 6))}`);
        if (m[2] === 'A') this.row = Math.max(0, this.row - Number(m[1] || 1));
        else {
          this.screen[this.row] = this.screen[this.row]!.slice(0, this.col);
          this.screen.length = this.row + 1;
        }
        i += m[0].length - 1;
      } else if (c === '\r') this.col = 0;
      else if (c === '\n') {
        this.row += 1;
        this.col = 0;
        if (this.screen.length <= this.row) this.screen.push('');
      } else {
        const line = this.screen[this.row]!.padEnd(this.col);
        this.screen[this.row] = line.slice(0, this.col) + c + line.slice(this.col + 1);
        this.col += 1;
      }
    }
    return true;
  }

  /** The screen's lines, without the empty line the cursor sits on after the last newline. */
  lines(): string[] {
    return this.screen.at(-1) === '' ? this.screen.slice(0, -1) : [...this.screen];
  }
}

function event(tier: string, batch: number, batchCount: number, phase: BatchProgressDetail['phase'], at: number, extra: Partial<BlockEvent['detail']> = {}): BlockEvent {
  return { at, detail: { tier, batch, batchCount, phase, rollback: false, inService: 100, floor: 90, release: '1.2.3', ...extra } };
}

describe('the live block', () => {
  it('keeps one row per tier and a summary, each within 200 characters, through a 1,500-host release', () => {
    // Prepare: 1,500 hosts in three tiers (one with a very long name) in batches of 10, and a
    // progress line per phase, some as long as a progress line may be.
    const term = new FakeTerminal();
    let clock = 0;
    const block = new LiveBlock(term, { now: () => (clock += 1000) });
    const tiers = [{ name: 'web', hosts: 900 }, { name: 'middle', hosts: 500 }, { name: `queue-consumers-${'x'.repeat(300)}`, hosts: 100 }];
    const printed: string[] = [];
    let at = 0;
    let most = 0;

    // Act
    for (const tier of tiers) {
      const count = tier.hosts / 10;
      for (let b = 1; b <= count; b++) {
        for (const phase of ['out-of-traffic', 'installed', 'returned'] as const) {
          at += 30_000;
          const line = `[${at}] ${tier.name} batch ${b}/${count}: ${phase} ${'host-'.repeat(40)}`.slice(0, MAX_LINE_CHARS);
          printed.push(line);
          block.line(line);
          block.update(event(tier.name, b, count, phase, at));
          const visible = term.lines();
          const frame = visible.slice(printed.length);
          // Assess, at every step: the lines above the block are the progress lines, unchanged.
          expect(visible.slice(0, printed.length)).toEqual(printed);
          most = Math.max(most, frame.length);
          expect(frame.length).toBeLessThanOrEqual(tiers.length + 1);
          for (const row of frame) expect(row.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
        }
      }
    }

    // Assess: the last frame says every tier is done.
    expect(most).toBe(tiers.length + 1);
    const last = term.lines().slice(printed.length);
    expect(last.slice(0, 3).every((row) => row.includes('done'))).toBe(true);
    expect(last[0]).toContain('batches 90/90');
    expect(last[3]).toContain('150/150 batches of 3 tier(s)');
  });

  it('erases itself on finish, leaving exactly the progress lines and the cursor below them', () => {
    // Prepare
    const term = new FakeTerminal(80);
    const block = new LiveBlock(term, { now: () => 0 });
    block.line('first');
    block.update(event('web', 1, 4, 'returned', 60_000));
    block.line('second');

    // Act
    const before = term.lines();
    block.finish();
    block.line('after the block');

    // Assess
    expect(before).toHaveLength(4);
    expect(before[2]!.length).toBeLessThanOrEqual(79);
    expect(term.lines()).toEqual(['first', 'second', 'after the block']);
    expect(term.row).toBe(3);
  });

  it('shows in service against the floor, BELOW when under it, and a rollback with its own count', () => {
    // Prepare
    const term = new FakeTerminal();
    const block = new LiveBlock(term, { now: () => 0 });

    // Act
    block.line('x');
    block.update(event('web', 1, 4, 'returned', 60_000, { inService: 8, floor: 9 }));
    block.update(event('web', 1, 2, 'reverted', 120_000, { rollback: true }));
    block.line('y');

    // Assess
    const [row] = term.lines().slice(2);
    expect(row).toContain('batches 1/4');
    expect(row).toContain('ROLLBACK 1/2');
    expect(row).toContain('in service 100/90');
    expect(new LiveBlock(new FakeTerminal()).rows()).toEqual([]);
    block.update(event('mid', 1, 2, 'out-of-traffic', 130_000, { inService: 1, floor: 2 }));
    expect(block.rows()[1]).toContain('in service 1/2 floor BELOW');
  });
});

describe('whether the block is drawn', () => {
  const tty = { isTTY: true, write: () => true };

  it.each([
    ['a terminal', tty, {}, false, true],
    ['a pipe or a file', { write: () => true }, {}, false, false],
    ['--json', tty, {}, true, false],
    ['CI', tty, { CI: 'true' }, false, false],
    ['NO_COLOR', tty, { NO_COLOR: '1' }, false, false],
    ['TERM=dumb', tty, { TERM: 'dumb' }, false, false],
    ['CI=false', tty, { CI: 'false' }, false, true],
  ])('on %s: %s', (_what, stream, env, json, wanted) => {
    expect(liveBlockWanted(stream, env as NodeJS.ProcessEnv, json)).toBe(wanted);
  });

  it('writes the lines exactly as they are when there is no terminal', () => {
    // Prepare
    const written: string[] = [];
    const output = progressOutput({ write: (s: string) => written.push(s) }, false, {});

    // Act
    output.onProgress('[00:00:01] web batch 1/2: taking web-1 out of traffic');
    output.finish();

    // Assess
    expect(written).toEqual(['[00:00:01] web batch 1/2: taking web-1 out of traffic\n']);
  });
});
