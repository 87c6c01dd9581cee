import type { EnvironmentSpec } from '../../protocol/index.ts';

/** The variables an environment adds to the processes it starts: its variables, its secrets,
 * and its id and name. */
export function environmentVariables(spec: EnvironmentSpec): Record<string, string> {
  return {
    ...spec.variables,
    ...spec.secrets,
    OPENVIBER_ENVIRONMENT_ID: spec.id,
    OPENVIBER_ENVIRONMENT_NAME: spec.name,
  };
}
