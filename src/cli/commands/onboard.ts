import type { Command } from 'commander';
import { z } from 'zod';
import { configPath, type ProviderName } from '../../core/config.ts';
import { resolveHome } from '../../core/home.ts';
import { AutonomyModeSchema } from '../../protocol/index.ts';
import { CliError, checkedOption } from '../cli-error.ts';
import { readConfigDocument, writeConfigDocument } from '../config-document.ts';
import {
  applyChoices,
  checkWithProgress,
  DEFAULT_MODELS,
  type OnboardChoices,
  PROVIDERS,
  qualifyModel,
} from '../onboard-choices.ts';
import { runOnboardWizard } from '../onboard-wizard.ts';
import { DEFAULT_GATEWAY_PORT } from './gateway.ts';
import { installServices } from './service.ts';

interface OnboardFlags {
  nonInteractive?: boolean;
  provider?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  apiKey?: string;
  model?: string;
  mode?: string;
  name?: string;
  reset?: boolean;
  installService?: boolean;
}

const KEY_VARIABLES: Record<Exclude<ProviderName, 'custom'>, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
};

/** `viber onboard`: first run. A wizard on a terminal; flags for scripts with --non-interactive. */
export function registerOnboardCommand(program: Command): void {
  program
    .command('onboard')
    .description('first run: choose a model provider, check it, write config.json, offer the services')
    .option('--non-interactive', 'ask nothing: take everything from the flags (for scripts)')
    .option('--provider <name>', 'openai, anthropic or custom (any OpenAI-compatible URL)')
    .option('--base-url <url>', 'the API base URL, e.g. http://127.0.0.1:11434/v1 (required for custom)')
    .option('--api-key-env <VAR>', 'read the API key from this environment variable')
    .option('--api-key <key>', 'the API key itself (visible in the process list; prefer --api-key-env)')
    .option('--model <provider/model>', 'default model, e.g. openai/gpt-4.1 or custom/llama3.1')
    .option('--mode <mode>', 'autonomy: always-ask, agent-decides or always-execute')
    .option('--name <name>', 'display name of a custom provider (ollama, vllm, ...)')
    .option('--reset', 'start from an empty config instead of merging into the existing one')
    .option('--install-service', 'also install the gateway and daemon systemd user services')
    .action(async (flags: OnboardFlags) => {
      if (flags.nonInteractive) return nonInteractive(flags);
      if (!process.stdin.isTTY)
        throw new CliError(
          'viber onboard asks its questions on a terminal; in a script use --non-interactive with --provider, --model and --api-key-env (docs/first-run.md)',
          2,
        );
      return interactive();
    });
}

async function interactive(): Promise<void> {
  const home = resolveHome();
  const existing = readConfigDocument(home);
  const outcome = await runOnboardWizard({
    input: process.stdin,
    output: process.stdout,
    env: process.env,
    existing,
    configPath: configPath(home),
    check: checkWithProgress,
    offerService: process.platform === 'linux',
  });
  if (outcome.action === 'write') {
    writeConfigDocument(home, applyChoices(outcome.reset ? {} : existing, outcome.choices));
    process.stdout.write(
      `wrote ${configPath(home)}: model ${outcome.choices.model}, mode ${outcome.choices.mode}\n`,
    );
  }
  if (outcome.installService) installServices({ port: DEFAULT_GATEWAY_PORT });
  process.stdout.write('next: viber run "what is in this folder?" or viber up\n');
}

async function nonInteractive(flags: OnboardFlags): Promise<void> {
  const home = resolveHome();
  const base = flags.reset ? {} : readConfigDocument(home);
  const currentModel = typeof base.model === 'string' ? base.model : undefined;
  const providerText = flags.provider ?? currentModel?.split('/')[0];
  if (!providerText) throw new CliError('--provider is required (openai, anthropic or custom)', 2);
  const provider = checkedOption('--provider', z.enum(PROVIDERS), providerText);
  const stored = (base.providers as Record<string, { baseURL?: string; apiKey?: string }> | undefined)?.[
    provider
  ];

  const baseURL = flags.baseUrl ?? stored?.baseURL;
  if (baseURL && !/^https?:\/\/[^\s/]+/.test(baseURL))
    throw new CliError(`--base-url must be an http:// or https:// URL, got "${baseURL}"`, 2);
  if (provider === 'custom' && !baseURL)
    throw new CliError('--base-url is required for --provider custom (e.g. http://127.0.0.1:11434/v1)', 2);

  let keyToStore: string | undefined;
  if (flags.apiKeyEnv) {
    keyToStore = process.env[flags.apiKeyEnv]?.trim();
    if (!keyToStore)
      throw new CliError(`--api-key-env ${flags.apiKeyEnv}: that variable is not set or empty`, 2);
  } else if (flags.apiKey) {
    process.stderr.write(
      'viber: warning: --api-key puts the key on the command line, where every user of this machine can read it; prefer --api-key-env VAR\n',
    );
    keyToStore = flags.apiKey;
  }
  const fromEnvironment = provider === 'custom' ? undefined : process.env[KEY_VARIABLES[provider]]?.trim();
  const apiKey = keyToStore ?? stored?.apiKey ?? fromEnvironment;
  if (provider !== 'custom' && !apiKey)
    throw new CliError(
      `${provider} needs an API key: --api-key-env VAR (or set ${KEY_VARIABLES[provider]}); nothing was written`,
      2,
    );

  const sameProviderModel = currentModel?.startsWith(`${provider}/`) ? currentModel : undefined;
  const modeText = flags.mode;
  const mode = modeText ? checkedOption('--mode', AutonomyModeSchema, modeText) : undefined;
  const draft: OnboardChoices = {
    provider,
    model: flags.model
      ? qualifyModel(provider, flags.model)
      : (sameProviderModel ?? (DEFAULT_MODELS[provider] ? `${provider}/${DEFAULT_MODELS[provider]}` : '')),
    ...(flags.baseUrl ? { baseURL: flags.baseUrl } : {}),
    ...(keyToStore ? { apiKey: keyToStore } : {}),
    ...(mode ? { mode } : {}),
    ...(flags.name ? { name: flags.name } : {}),
  };

  const check = await checkWithProgress({ ...draft, ...(baseURL ? { baseURL } : {}) }, apiKey);
  if (!check.ok) throw new CliError(`${check.message}; nothing was written`);
  if (!draft.model) {
    const first = check.models[0];
    if (!first) throw new CliError(`${check.url} lists no models: pass --model; nothing was written`, 2);
    draft.model = `${provider}/${first}`;
  }
  const modelId = draft.model.slice(provider.length + 1);
  process.stdout.write(`✓ ${check.url} answered: ${check.models.length} models\n`);
  if (check.models.length > 0 && !check.models.includes(modelId))
    process.stderr.write(`note: ${check.url} does not list ${modelId}; using it anyway (an alias?)\n`);

  writeConfigDocument(home, applyChoices(base, draft));
  const keyNote = keyToStore
    ? 'API key stored (not shown)'
    : apiKey === stored?.apiKey && apiKey
      ? 'stored API key kept'
      : apiKey
        ? `API key from ${provider === 'custom' ? '' : KEY_VARIABLES[provider]} (not stored)`
        : 'no API key';
  process.stdout.write(
    `wrote ${configPath(home)}: model ${draft.model}${mode ? `, mode ${mode}` : ''}, ${keyNote}\n`,
  );
  if (flags.installService) installServices({ port: DEFAULT_GATEWAY_PORT });
}
