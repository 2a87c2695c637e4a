export { pingWorkflow } from './ping.workflow.ts';
