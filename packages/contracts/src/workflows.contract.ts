/** Workflow contracts shared by the code that starts workflows and the worker that runs them. */
export const TASK_QUEUE = 'mutualis';

export const pingWorkflowName = 'pingWorkflow';
export interface PingInput { name: string }
export interface PingResult { greeting: string; databaseTime: string }
