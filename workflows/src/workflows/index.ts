export { pingWorkflow } from './ping.workflow.ts';
export { onboardMember } from './onboard-member.workflow.ts';
export { onboardEpciCommunes } from './onboard-epci-communes.workflow.ts';
export { inviteDsi } from './invite-dsi.workflow.ts';
export { offboardMember } from './offboard-member.workflow.ts';
export { noopWorkflow } from './noop.workflow.ts';
