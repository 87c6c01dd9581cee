import type { RouteInput } from '#lib/client.ts';
import type { EnvironmentType } from '#lib/protocol.ts';

// Pure (no runes, no calls): the board builds these bodies and a Node test checks them.
type CreateEnvironmentInput = RouteInput<'environments.create'>['body'];
type UpdateEnvironmentInput = RouteInput<'environments.update'>['body'];

/** A variable or secret row of the form. */
export type Row = { key: string; value: string };

/** What the environment form holds, as typed (strings as in their inputs). */
export interface EnvironmentFormValues {
  name: string;
  description: string;
  type: EnvironmentType;
  repoUrl: string;
  repoBranch: string;
  localPath: string;
  containerImage: string;
  workingDir: string;
  setupScript: string;
  setupTimeoutSeconds: number;
  networkAccess: boolean;
  persistVolume: boolean;
  variables: Row[];
  /** New or replaced secret values: write-only, never read back. */
  secrets: Row[];
  /** Stored secrets the operator removed (an edit deletes them). */
  removedSecrets: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** What keeps the form from being saved, said as the gateway would (it checks all of it again). */
export function formProblems(form: EnvironmentFormValues): string[] {
  const found: string[] = [];
  for (const row of [...form.variables, ...form.secrets]) {
    if (row.key && !NAME.test(row.key)) found.push(`"${row.key}" is not a valid variable name (letters, digits and _, not starting with a digit)`);
  }
  for (const row of form.secrets) if (row.key && row.value.length < 4) found.push(`secret ${row.key}: at least 4 characters`);
  const plain = new Set(form.variables.map((row) => row.key));
  for (const row of form.secrets) if (plain.has(row.key)) found.push(`${row.key} is both a variable and a secret`);
  if (form.type === 'github' && !form.repoUrl.trim()) found.push('a git environment needs a repository URL');
  if (form.type === 'local' && !form.localPath.trim()) found.push('a local environment needs a path on the viber');
  return found;
}

const map = (rows: Row[]) => Object.fromEntries(rows.filter((row) => row.key).map((row) => [row.key, row.value]));
const text = (value: string) => (value.trim() ? value.trim() : undefined);

/** A new environment (or the dry run's input): empty optional fields left out. */
export function createBody(form: EnvironmentFormValues): CreateEnvironmentInput {
  return {
    name: form.name.trim(),
    description: form.description,
    type: form.type,
    setupTimeoutSeconds: Number(form.setupTimeoutSeconds),
    networkAccess: form.networkAccess,
    persistVolume: form.persistVolume,
    variables: map(form.variables),
    secrets: map(form.secrets),
    repoUrl: form.type === 'github' ? text(form.repoUrl) : undefined,
    repoBranch: form.type === 'github' ? text(form.repoBranch) : undefined,
    localPath: form.type === 'local' ? text(form.localPath) : undefined,
    containerImage: text(form.containerImage),
    workingDir: text(form.workingDir),
    setupScript: form.setupScript.trim() ? form.setupScript : undefined,
  };
}

/**
 * An edit replaces every field the form shows: an optional one left empty is cleared (null).
 * Secrets are a patch, since the form never has the stored values: new ones set, removed ones null.
 */
export function updateBody(form: EnvironmentFormValues): UpdateEnvironmentInput {
  const body = createBody(form);
  return {
    ...body,
    repoUrl: body.repoUrl ?? null,
    repoBranch: body.repoBranch ?? null,
    localPath: body.localPath ?? null,
    containerImage: body.containerImage ?? null,
    workingDir: body.workingDir ?? null,
    setupScript: body.setupScript ?? null,
    secrets: { ...Object.fromEntries(form.removedSecrets.map((key) => [key, null])), ...map(form.secrets) },
  };
}
