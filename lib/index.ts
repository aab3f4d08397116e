/**
 * FleetFlow as a library: the `FleetFlow` construct for a CDK app of your own, and what it
 * takes (an environment definition, read and validated).
 */
export { FleetFlow, STARTABLE_WORKFLOWS, type FleetFlowProps, type FleetFlowWorkflow } from './fleetflow';
export { FleetFlowStack, type FleetFlowStackProps } from './fleetflow-stack';
export { FleetFlowStateMachine, WORKFLOW_TIMEOUT, type FleetFlowStateMachineProps } from './constructs/fleetflow-state-machine';
export { FleetFlowFunction, type FleetFlowFunctionProps } from './constructs/fleetflow-function';
export { FunctionCatalog, type FunctionSpec, type FunctionSpecs } from './constructs/function-catalog';
export type { EnvironmentDefinition } from '../lambdas/domain/environment/model';
export { parseEnvironment, readEnvironmentFile } from '../lambdas/domain/environment/parse';
