/**
 * Corrects one behaviour of aws-local-stepfunctions to match AWS Step Functions: when an
 * iteration of a Map fails, AWS fails the Map and starts no further iteration. The local
 * engine queues iterations through p-limit, which starts the next queued iteration as
 * soon as the failed one settles, before the Map aborts; with MaxConcurrency 1 that next
 * batch would take its hosts out of traffic.
 *
 * The engine builds a new iterator state machine each time a Map state runs (and one per
 * Parallel branch run), so a failed run marks that iterator stopped and its queued items
 * never start: the mark lasts exactly one run of the Map. The state machines a whole
 * execution runs on are built once per definition and shared by every execution of it
 * (`sharedStateMachine`); they are never marked, so one failed execution does not stop the next.
 */
import { ExecutionAbortedError, StateMachine } from 'aws-local-stepfunctions';
import { withFalseTypeTests } from './choice-semantics';

const STOPPED = Symbol('fleetflow.iterationsStopped');
let installed = false;
/** State machines that whole executions run on, shared across executions: never marked stopped. */
const shared = new WeakSet<StateMachine>();

type Execution = ReturnType<StateMachine['run']>;

/** A state machine for whole executions of `definition`, which any number of executions may run at once. */
export function sharedStateMachine(definition: ConstructorParameters<typeof StateMachine>[0], options?: ConstructorParameters<typeof StateMachine>[1]): StateMachine {
  stopMapIterationsAfterFailure();
  // The type tests asked to be false, as AWS evaluates them (choice-semantics.ts).
  const machine = new StateMachine(withFalseTypeTests(definition), options);
  shared.add(machine);
  return machine;
}

export function stopMapIterationsAfterFailure(): void {
  if (installed) return;
  installed = true;
  const run = StateMachine.prototype.run;
  StateMachine.prototype.run = function patchedRun(this: StateMachine & { [STOPPED]?: boolean }, ...args: Parameters<StateMachine['run']>): Execution {
    if (shared.has(this)) return run.apply(this, args);
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
