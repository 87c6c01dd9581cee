import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir, useTempDirs } from '../../test/support/temp-dirs.ts';
import { resolveHome } from '../core/home.ts';
import { checkConfig, findMissingBinaries } from './config-validation.ts';

useTempDirs();
const tempDir = () => makeTempDir('config');

/** A PATH folder holding executables with these names. */
function binFolder(names: string[]): string {
  const dir = tempDir();
  for (const name of names) {
    writeFileSync(join(dir, name), '#!/bin/sh\n');
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

describe('checkConfig', () => {
  it('verifies a configured model and found binaries, and hashes the file, not the secrets', async () => {
    const home = resolveHome({ OPENVIBER_HOME: tempDir() });
    mkdirSync(home.config, { recursive: true });
    const content = JSON.stringify({
      model: 'openai/gpt-4.1',
      providers: { openai: { apiKey: 'sk-secret' } },
    });
    writeFileSync(join(home.config, 'config.json'), content);
    const result = await checkConfig({
      home,
      config: JSON.parse(content),
      env: { PATH: binFolder(['bash', 'git', 'tmux']) },
    });
    expect(result.configVersion).toBe(createHash('sha256').update(content).digest('hex'));
    const byCategory = Object.fromEntries(
      result.validations.map((validation) => [validation.category, validation]),
    );
    expect(byCategory.llm_keys).toMatchObject({
      status: 'verified',
      message: 'openai/gpt-4.1 is configured with an API key',
    });
    expect(byCategory.binary_deps).toMatchObject({ status: 'verified' });
    expect(['skills', 'oauth', 'env_secrets'].map((category) => byCategory[category]?.status)).toEqual([
      'unchecked',
      'unchecked',
      'unchecked',
    ]);
    expect(JSON.stringify(result)).not.toContain('sk-secret');
  });

  it('fails with what to set and which binaries are missing', async () => {
    const home = resolveHome({ OPENVIBER_HOME: tempDir() });
    const result = await checkConfig({
      home,
      config: {},
      env: { OPENVIBER_MODEL: 'anthropic/claude', PATH: binFolder(['git']) },
    });
    const byCategory = Object.fromEntries(
      result.validations.map((validation) => [validation.category, validation]),
    );
    expect(byCategory.llm_keys).toMatchObject({
      status: 'failed',
      message: expect.stringContaining('ANTHROPIC_API_KEY'),
    });
    expect(byCategory.binary_deps).toMatchObject({
      status: 'failed',
      // Then what the browser tools have, or why they are missing (a Chromium on this machine or not).
      message: expect.stringMatching(/^missing on PATH: bash, tmux(; browser|$)/),
    });
    expect(result.configVersion).toBe(createHash('sha256').update('').digest('hex'));
  });

  it('reports a config file that failed to load', async () => {
    const home = resolveHome({ OPENVIBER_HOME: tempDir() });
    const result = await checkConfig({ home, config: {}, env: {}, loadError: 'config.json: invalid JSON' });
    expect(result.validations[0]).toMatchObject({
      category: 'llm_keys',
      status: 'failed',
      message: 'config.json: invalid JSON',
    });
  });

  it('ignores files that are not executable', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tmux'), 'not a program');
    expect(await findMissingBinaries(['tmux'], dir)).toEqual(['tmux']);
  });

  it('says plainly when commands the agent runs could read the credentials', async () => {
    const home = resolveHome({ OPENVIBER_HOME: tempDir() });
    const result = await checkConfig({
      home,
      config: {},
      env: {},
      sandbox: {
        fileIsolation: { available: false, reason: 'bubblewrap (bwrap) is not installed' },
        networkIsolation: { available: false, reason: 'unshare: permission denied' },
        containerRuntime: { available: false, reason: 'no docker' },
      },
    });
    expect(result.validations.find((validation) => validation.category === 'sandbox')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/CAN read OpenViber's credential files.*bubblewrap/),
    });
  });
});
