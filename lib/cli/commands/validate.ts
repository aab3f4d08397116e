/** `fleetflow validate`: an environment definition checked as `cdk synth` and every execution check it. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { InvalidEnvironmentError } from '../../../lambdas/domain/environment/errors';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { definitionSizeProblems, MAX_DEFINITION_BYTES, MAX_TEMPLATE_BYTES, measureTemplate, templateSizeProblem } from '../template-size';
import { action } from './action';
import { DEFAULT_ENV } from './options';

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('check an environment definition and print the problems found')
    .addOption(new Option('--env <FILE>', 'the environment definition').default(DEFAULT_ENV, 'environments/canonical.json'))
    .action(action((values) => validate(String(values.env))));
}

function validate(file: string): number {
  const environment = loadEnvironmentFile(file);
  // The stack synthesized as `cdk synth` would: a definition whose template CloudFormation would refuse, or one of
  // whose state machine definitions Step Functions would refuse, is refused here, naming the figure.
  const { stackName, bytes, definitions } = measureTemplate(environment);
  const overLimit = definitionSizeProblems(definitions);
  // One line: the first definition over the limit, and how many more are.
  const definitionProblem = overLimit.length === 0 ? undefined : `${overLimit[0]}${overLimit.length > 1 ? ` (and ${overLimit.length - 1} more state machine definitions over it)` : ''}`;
  const tooLarge = templateSizeProblem(stackName, bytes) ?? definitionProblem;
  if (tooLarge) throw new InvalidEnvironmentError(`${file}: ${tooLarge}`);
  const largest = definitions.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  process.stdout.write(
    `${file}: environment "${environment.name}" is valid (${environment.tiers.length} tiers; template ${bytes.toLocaleString('en-US')} bytes of CloudFormation's ${MAX_TEMPLATE_BYTES.toLocaleString('en-US')}; ` +
      `largest state machine definition ${largest.bytes.toLocaleString('en-US')} bytes of Step Functions' ${MAX_DEFINITION_BYTES.toLocaleString('en-US')}, ${largest.stateMachineName})\n`,
  );
  return 0;
}
