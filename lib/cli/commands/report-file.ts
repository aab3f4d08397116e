/** `--report FILE` of the simulate commands (lib/report/): checked before anything runs. */
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { reportFileProblem } from '../../report/index';

/** Refuses, as bad input, a report file the page could not be written to. */
export function checkReportFile(file: string | undefined): void {
  const problem = file === undefined ? undefined : reportFileProblem(file);
  if (problem) throw new InvalidInputError(problem);
}
