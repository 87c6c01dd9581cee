import { styleText } from 'node:util';
import type { BindingView, EnvironmentView } from '../../protocol/index.ts';

// How `viber env` shows environments and bindings: one line each in lists, a block for `show`.

const PILL_COLORS = { unmapped: 'gray', preparing: 'yellow', ready: 'green', error: 'red' } as const;
const BINDING_COLORS = {
  pending: 'gray',
  preparing: 'yellow',
  ready: 'green',
  error: 'red',
  stale: 'yellow',
} as const;

export function environmentLine(env: EnvironmentView): string {
  const pill = styleText(PILL_COLORS[env.status], env.status.padEnd(9));
  return `${env.id}  ${pill}  ${env.name}  ${styleText('dim', env.repoUrl ?? env.localPath ?? env.type)}`;
}

export function bindingLine(binding: BindingView): string {
  const status = styleText(BINDING_COLORS[binding.status], binding.status.padEnd(9));
  const where = binding.resolvedWorkingDir ?? binding.path ?? '';
  const error = binding.lastError ? `  ${styleText('red', binding.lastError)}` : '';
  return `  ${binding.id}  ${status}  ${binding.viberId}  ${styleText('dim', where)}${error}`;
}

export function describeEnvironment(env: EnvironmentView): string {
  const lines = [
    `${styleText('bold', env.name)}  ${env.id}  ${styleText(PILL_COLORS[env.status], env.status)}`,
    `  type        ${env.type}${env.repoUrl ? `  ${env.repoUrl}${env.repoBranch ? ` (${env.repoBranch})` : ''}` : ''}${env.localPath ? `  ${env.localPath}` : ''}`,
    `  execution   network ${env.networkAccess ? 'on' : 'off'}, volume ${env.persistVolume ? 'persistent' : 'fresh per task'}${env.containerImage ? `, image ${env.containerImage}` : ''}${env.workingDir ? `, workdir ${env.workingDir}` : ''}`,
    `  setup       ${env.setupScript ? `${env.setupScript.split('\n').length} lines, timeout ${env.setupTimeoutSeconds} s` : 'none'}`,
    `  variables   ${env.variables.map((variable) => `${variable.key}=${variable.value}`).join(' ') || 'none'}`,
    `  secrets     ${env.secrets.map((secret) => `${secret.key}=•••${secret.readable ? '' : ' (unreadable)'}`).join(' ') || 'none'}`,
  ];
  for (const problem of env.problems) lines.push(`  ${styleText('red', 'problem')}     ${problem}`);
  lines.push(
    env.bindings.length ? '  bindings' : '  bindings    none (viber env map)',
    ...env.bindings.map(bindingLine),
  );
  return lines.join('\n');
}
