// The daemon's EnvironmentManager: prepares bindings and tells tasks how to run in them.
export { httpBaseOf, pullViberConfig } from './config-client.ts';
export { EnvironmentManager, type EnvironmentManagerOptions } from './environment-manager.ts';
export { PrepareError } from './materialize.ts';
export { type TaskEnvironment, TaskEnvironmentError } from './task-environment.ts';
