export { pingWorkflow } from './ping.workflow.ts';
export { onboardMember } from './onboard-member.workflow.ts';
