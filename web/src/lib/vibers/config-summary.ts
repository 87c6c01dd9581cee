import type { ConfigState } from '#lib/protocol.ts';

/** "4 verified · 1 failed", or what to do when the viber never validated its config. */
export function configSummary(state: ConfigState | null): string {
  if (!state) return 'not validated yet';
  const counts = { verified: 0, failed: 0, unchecked: 0 };
  for (const validation of state.validations) counts[validation.status]++;
  const parts = [`${counts.verified} verified`];
  if (counts.failed) parts.push(`${counts.failed} failed`);
  if (counts.unchecked) parts.push(`${counts.unchecked} unchecked`);
  return parts.join(' · ');
}

export const CATEGORY_LABELS: Record<string, string> = {
  llm_keys: 'Model keys',
  oauth: 'Accounts',
  env_secrets: 'Environment secrets',
  skills: 'Skills',
  binary_deps: 'Programs',
  sandbox: 'Credential isolation',
};
