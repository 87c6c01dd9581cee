import { spawnSync } from 'node:child_process';
import { chromiumStatus } from '../agent/tools/browser/chromium.ts';
import { type ConfigFile, loadConfig, type ProviderName, resolveModelSettings } from '../core/config.ts';
import type { OpenViberHome } from '../core/home.ts';
import { type CheckResult, fail, ok, warn } from './doctor-check.ts';
import { checkProvider } from './provider-check.ts';

/** The machine's side: Node, config.json, each provider (a model list, no tokens spent), tools. */

export function checkNode(version = process.versions.node): CheckResult {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 18))
    return fail(
      'node',
      `Node.js ${version} is too old`,
      'OpenViber needs Node 24 (>= 22.18): run it through npm',
    );
  if (major < 24) return warn('node', `Node.js ${version}`, 'Node 24 is the version OpenViber is tested on');
  return ok('node', `Node.js ${version}`);
}

export function checkConfig(home: OpenViberHome): { result: CheckResult; config?: ConfigFile } {
  let config: ConfigFile;
  try {
    config = loadConfig(home);
  } catch (error) {
    return {
      result: fail(
        'config',
        (error as Error).message,
        'viber config edit, or viber onboard --non-interactive --reset ...',
      ),
    };
  }
  const model = resolveModelSettings(config, process.env);
  if (!model.ok) return { result: warn('config', model.message, 'viber onboard'), config };
  return { result: ok('config', `model ${model.settings.provider}/${model.settings.modelId}`), config };
}

/** Every provider config.json or the environment names, with the key and URL a task would use. */
export async function checkProviders(config: ConfigFile): Promise<CheckResult[]> {
  const names = new Set<ProviderName>();
  for (const name of ['openai', 'anthropic', 'custom'] as const)
    if (config.providers?.[name]) names.add(name);
  const modelProvider = (process.env.OPENVIBER_MODEL?.trim() || config.model)?.split('/')[0];
  if (modelProvider === 'openai' || modelProvider === 'anthropic' || modelProvider === 'custom')
    names.add(modelProvider);
  if (names.size === 0) return [warn('providers', 'no model provider configured', 'viber onboard')];
  const results: CheckResult[] = [];
  for (const provider of names) {
    const settings = resolveModelSettings(config, process.env, `${provider}/doctor`);
    const name = `provider ${provider}`;
    if (!settings.ok) {
      results.push(fail(name, settings.message, 'viber onboard'));
      continue;
    }
    const { apiKey, baseURL } = settings.settings;
    const check = await checkProvider(
      { provider, ...(apiKey ? { apiKey } : {}), ...(baseURL ? { baseURL } : {}) },
      5000,
    );
    results.push(
      check.ok
        ? ok(name, `${check.url}: key accepted, ${check.models.length} models`)
        : fail(name, check.message, 'viber onboard, or viber config set providers.<name>.apiKey ...'),
    );
  }
  return results;
}

function versionOf(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 5000 });
  return result.status === 0 ? result.stdout.trim().split('\n')[0] : undefined;
}

export function checkTools(): CheckResult[] {
  const tmux = versionOf('tmux', ['-V']);
  const git = versionOf('git', ['--version']);
  const chromium = chromiumStatus(process.env);
  return [
    tmux
      ? ok('tmux', tmux)
      : warn('tmux', 'tmux not found', 'install tmux: tasks get no live terminals without it'),
    git
      ? ok('git', git)
      : warn('git', 'git not found', 'install git: skills from git URLs and repo tools need it'),
    chromium.available
      ? ok('chromium', chromium.path)
      : warn('chromium', chromium.reason, 'the browser tools stay off until Chromium is there'),
  ];
}
