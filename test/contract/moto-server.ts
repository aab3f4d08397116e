/**
 * moto's server (getmoto/moto), an AWS emulator nobody on this project wrote, started for a
 * contract test on a free loopback port and always stopped.
 *
 * It runs on the machine's `python3` (moto 5.2.1 with its server extras). When python3 or
 * moto is missing, `startMoto` rejects with a message saying what to install: the contract
 * test then fails, it is never skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** The version the contract test's documented gaps were measured with (docs/aws-behaviour.md). */
export const MOTO_VERSION = '5.2.1';
/** moto's server answers in about 2 s on this machine; 30 s means it is not coming. */
const START_TIMEOUT_MS = 30_000;
/** After SIGTERM, how long to wait for the process to exit before SIGKILL. */
const STOP_TIMEOUT_MS = 5_000;
/** How much of the server's output is kept. */
const OUTPUT_BYTES = 64 * 1024;

export interface MotoServer {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** moto's version, as the running interpreter imported it. */
  readonly version: string;
  /** The server's process. */
  readonly pid: number;
  /** What the server has printed so far (the last 64 KiB): moto logs an action it has not implemented there. */
  output(): string;
  /** Stops the server; resolves once the process has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const INSTALL_HINT = `the contract test needs python3 with moto ${MOTO_VERSION} and its server extras: pip install 'moto[server]==${MOTO_VERSION}'`;

/**
 * Imports moto, prints its version, then runs moto's own server entry point
 * (`python3 -m moto.server` does the same) on port 0: the operating system picks a free
 * port and werkzeug prints it ("Running on http://127.0.0.1:<port>"), so no port is
 * guessed and none can be taken between choosing and binding.
 *
 * The server also ends when the test process does, however it ends (a crash, SIGKILL, a
 * worker killed at a timeout), where no exit hook of ours runs: on Linux the kernel sends it
 * SIGTERM when its parent dies (PR_SET_PDEATHSIG), and everywhere a watchdog thread exits
 * once its parent process is no longer the one that started it.
 */
const LAUNCHER = [
  'import os, signal, sys, threading, time',
  'parent = os.getppid()',
  'try:',
  '    import ctypes',
  '    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG',
  'except Exception:',
  '    pass',
  'def watch():',
  '    while os.getppid() == parent:',
  '        time.sleep(0.5)',
  '    os._exit(0)',
  'threading.Thread(target=watch, daemon=True).start()',
  'import moto',
  'print("moto-version " + moto.__version__, flush=True)',
  'from moto.server import main',
  'main(["-H", "127.0.0.1", "-p", "0"])',
].join('\n');

export interface StartOptions {
  /** The interpreter to run. @default "python3" */
  readonly python?: string;
  /** Arguments before the launcher (tests pass `-S` to run without site-packages). @default [] */
  readonly pythonArgs?: readonly string[];
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A crash or an exit of the test process must not leave a server behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export async function startMoto(options: StartOptions = {}): Promise<MotoServer> {
  installExitHook();
  const python = options.python ?? 'python3';
  const child = spawn(python, [...(options.pythonArgs ?? []), '-u', '-c', LAUNCHER], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killed = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(killed);
  };

  let output = '';
  try {
    const { port, version } = await new Promise<{ port: number; version: string }>((resolve, reject) => {
      let version = '';
      const timer = setTimeout(() => reject(new Error(`moto's server did not start within ${START_TIMEOUT_MS / 1000} s; its output:\n${output}`)), START_TIMEOUT_MS);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        version ||= /moto-version (\S+)/.exec(output)?.[1] ?? '';
        const port = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
        if (port) {
          clearTimeout(timer);
          resolve({ port: Number(port), version });
        }
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      child.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(err.code === 'ENOENT' ? `${python} was not found on PATH: ${INSTALL_HINT}` : `${python} could not be started (${err.message}): ${INSTALL_HINT}`, { cause: err }));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const missing = /No module named '?(moto|flask|werkzeug)/.exec(output);
        reject(new Error(missing ? `${python} has no module ${missing[1]}: ${INSTALL_HINT}` : `moto's server exited (${signal ?? `code ${code}`}) before it listened: ${INSTALL_HINT}; its output:\n${output}`));
      });
    });
    // Keep reading, so the server never blocks on a full pipe, and keep the end of what it says.
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.removeAllListeners('data').on('data', (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-OUTPUT_BYTES);
      });
    }
    return { endpoint: `http://127.0.0.1:${port}`, version, pid: child.pid!, stop, output: () => output };
  } catch (err) {
    await stop();
    throw err;
  }
}
