import { describe, expect, it } from 'vitest';
import { CreateEnvironmentBodySchema, UpdateEnvironmentBodySchema } from '../../src/protocol/index.ts';
import {
  createBody,
  type EnvironmentFormValues,
  formProblems,
  updateBody,
} from '../../web/src/lib/environments/environment-form.ts';

// The environment form's bodies, without a browser: what it sends matches the route table's
// schemas, an edit clears the optional fields left empty, and secrets go as a patch.

const form = (changes: Partial<EnvironmentFormValues> = {}): EnvironmentFormValues => ({
  name: ' web-app ',
  description: '',
  type: 'github',
  repoUrl: 'https://example.com/app.git',
  repoBranch: '',
  localPath: '/ignored/for/github',
  containerImage: '',
  workingDir: ' packages/api ',
  setupScript: '   ',
  setupTimeoutSeconds: 600,
  networkAccess: true,
  persistVolume: false,
  variables: [
    { key: 'MODE', value: 'test' },
    { key: '', value: 'ignored' },
  ],
  secrets: [{ key: 'API_TOKEN', value: 'secret-value' }],
  removedSecrets: ['OLD_TOKEN'],
  ...changes,
});

describe('environment form bodies', () => {
  it('creates with the fields given and leaves empty optional ones out', () => {
    const body = createBody(form());
    expect(CreateEnvironmentBodySchema.safeParse(body).success).toBe(true);
    expect(JSON.parse(JSON.stringify(body))).toEqual({
      name: 'web-app',
      description: '',
      type: 'github',
      setupTimeoutSeconds: 600,
      networkAccess: true,
      persistVolume: false,
      variables: { MODE: 'test' },
      secrets: { API_TOKEN: 'secret-value' },
      repoUrl: 'https://example.com/app.git',
      workingDir: 'packages/api',
    });
  });

  it('edits by clearing empty optional fields and patching secrets', () => {
    const body = updateBody(form());
    expect(UpdateEnvironmentBodySchema.safeParse(body).success).toBe(true);
    expect(body).toMatchObject({
      repoBranch: null,
      localPath: null,
      containerImage: null,
      setupScript: null,
      secrets: { OLD_TOKEN: null, API_TOKEN: 'secret-value' },
    });
  });

  it('says what keeps the form from being saved', () => {
    expect(formProblems(form())).toEqual([]);
    expect(
      formProblems(
        form({
          repoUrl: ' ',
          variables: [{ key: '1BAD', value: 'x' }],
          secrets: [{ key: 'SHORT', value: 'abc' }],
        }),
      ),
    ).toEqual([
      '"1BAD" is not a valid variable name (letters, digits and _, not starting with a digit)',
      'secret SHORT: at least 4 characters',
      'a git environment needs a repository URL',
    ]);
  });
});
