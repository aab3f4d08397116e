/**
 * Corrects one behaviour of aws-local-stepfunctions to match AWS Step Functions: when an
 * iteration of a Map fails, AWS fails the Map and starts no further iteration. The local
 * engine queues iterations through p-limit, which starts the next queued iteration as
 * soon as the failed one settles, before the Map aborts; with MaxConcurrency 1 that next
 * batch would take its hosts out of traffic. Every Map execution builds its own iterator
 * state machine, so a failed run marks that instance stopped and later runs of it never
 * start.
 */
import { ExecutionAbortedError, StateMachine } from 'aws-local-stepfunctions';

const STOPPED = Symbol('fleetflow.iterationsStopped');
let installed = false;

type Execution = ReturnType<StateMachine['run']>;

export function stopMapIterationsAfterFailure(): void {
  if (installed) return;
  installed = true;
  const run = StateMachine.prototype.run;
  StateMachine.prototype.run = function patchedRun(this: StateMachine & { [STOPPED]?: boolean }, ...args: Parameters<StateMachine['run']>): Execution {
    if (this[STOPPED]) {
      const result = Promise.reject(new ExecutionAbortedError());
      result.catch(() => {});
      return { abort: () => {}, result, eventLogs: (async function* () {})() } as unknown as Execution;
    }
    const execution = run.apply(this, args);
    // Registered before the engine's own handlers, so the mark is set before p-limit starts the next item.
    const result = execution.result.catch((err: unknown) => {
      this[STOPPED] = true;
      throw err;
    });
    return Object.assign(Object.create(Object.getPrototypeOf(execution) as object), execution, { result }) as Execution;
  };
}
