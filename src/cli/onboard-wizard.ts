import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { ProviderName } from '../core/config.ts';
import { type AutonomyMode, AutonomyModeSchema } from '../protocol/index.ts';
import { CliError } from './cli-error.ts';
import { DEFAULT_MODELS, type OnboardChoices, PROVIDERS, qualifyModel } from './onboard-choices.ts';
import type { ProviderCheck } from './provider-check.ts';

/**
 * The questions of `viber onboard` on a terminal: provider, endpoint, key (typed without echo),
 * one checking request, model, autonomy mode, and whether to install the services. It only asks;
 * the command writes. Streams are parameters so it runs the same against a pipe in tests.
 */

export interface WizardIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** The current config.json, `{}` when there is none. */
  existing: Record<string, unknown>;
  configPath: string;
  check(choices: OnboardChoices, apiKey: string | undefined): Promise<ProviderCheck>;
  /** Whether to offer the systemd user services (Linux). */
  offerService: boolean;
}

export type WizardOutcome =
  | { action: 'keep'; installService: boolean }
  | { action: 'write'; reset: boolean; choices: OnboardChoices; installService: boolean };

const PROVIDER_LABELS: Record<ProviderName, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  custom: 'a custom OpenAI-compatible URL (Ollama, vLLM, LM Studio, OpenRouter, ...)',
};
const KEY_VARIABLES: Record<ProviderName, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  custom: 'OPENVIBER_API_KEY',
};
const MODES = AutonomyModeSchema.options;

/** Stops echoing while a key is typed. */
class MutableOutput extends Writable {
  muted = false;
  private readonly target: NodeJS.WritableStream;
  constructor(target: NodeJS.WritableStream) {
    super();
    this.target = target;
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    if (!this.muted) this.target.write(chunk);
    done();
  }
}

export async function runOnboardWizard(io: WizardIo): Promise<WizardOutcome> {
  const output = new MutableOutput(io.output);
  const terminal = Boolean((io.input as { isTTY?: boolean }).isTTY);
  const readline = createInterface({ input: io.input, output, terminal });
  // Lines are buffered by the iterator, so answers typed (or piped) ahead are not lost.
  const lines = readline[Symbol.asyncIterator]();
  const say = (text: string) => io.output.write(`${text}\n`);
  const ask = async (question: string, fallback = ''): Promise<string> => {
    io.output.write(fallback ? `${question} [${fallback}] ` : `${question} `);
    const next = await lines.next();
    if (next.done) throw new CliError('onboard: the input ended before every question was answered');
    return (next.value as string).trim() || fallback;
  };
  const askSecret = async (question: string): Promise<string> => {
    io.output.write(`${question} `);
    output.muted = terminal;
    try {
      const next = await lines.next();
      if (next.done) throw new CliError('onboard: the input ended before every question was answered');
      return (next.value as string).trim();
    } finally {
      output.muted = false;
      if (terminal) io.output.write('\n');
    }
  };
  const choose = async <T extends string>(
    question: string,
    options: readonly T[],
    fallback: T,
  ): Promise<T> => {
    for (;;) {
      const answer = await ask(question, fallback);
      const byNumber = options[Number(answer) - 1];
      if (/^\d+$/.test(answer) && byNumber) return byNumber;
      if ((options as readonly string[]).includes(answer)) return answer as T;
      say(`  answer one of: ${options.join(', ')} (or its number)`);
    }
  };

  try {
    let reset = false;
    const existing = io.existing;
    if (Object.keys(existing).length > 0) {
      say(
        `A configuration exists: ${io.configPath}${existing.model ? ` (model ${String(existing.model)})` : ''}`,
      );
      const action = await choose('keep, change or reset it?', ['keep', 'change', 'reset'] as const, 'keep');
      if (action === 'keep') return { action, installService: await askService() };
      reset = action === 'reset';
    }
    const current = reset ? {} : existing;
    const currentModel = typeof current.model === 'string' ? current.model : undefined;
    const currentProvider = currentModel?.split('/')[0] as ProviderName | undefined;

    for (;;) {
      say('Which model provider?');
      for (const [index, name] of PROVIDERS.entries())
        say(`  ${index + 1}) ${name}: ${PROVIDER_LABELS[name]}`);
      const provider = await choose('provider', PROVIDERS, currentProvider ?? 'openai');
      const stored = (current.providers as Record<string, { baseURL?: string; apiKey?: string }>)?.[provider];
      const baseURL =
        provider === 'custom'
          ? await ask('base URL of the OpenAI-compatible API', stored?.baseURL ?? 'http://127.0.0.1:11434/v1')
          : undefined;
      const keyVariable = KEY_VARIABLES[provider];
      let apiKey: string | undefined;
      let keyToStore: string | undefined;
      if (
        io.env[keyVariable]?.trim() &&
        (await choose(`use $${keyVariable}?`, ['y', 'n'] as const, 'y')) === 'y'
      ) {
        apiKey = io.env[keyVariable]?.trim();
      } else if (
        stored?.apiKey &&
        (await choose('keep the stored API key?', ['y', 'n'] as const, 'y')) === 'y'
      ) {
        apiKey = stored.apiKey;
      } else {
        const typed = await askSecret(
          provider === 'custom' ? 'API key (Enter for none; not shown):' : 'API key (not shown):',
        );
        apiKey = typed || undefined;
        keyToStore = apiKey;
      }
      const draft: OnboardChoices = { provider, model: '', ...(baseURL ? { baseURL } : {}) };
      const check = await io.check(draft, apiKey);
      if (!check.ok) {
        say(`✗ ${check.message}`);
        if ((await choose('try again?', ['y', 'n'] as const, 'y')) === 'y') continue;
        throw new CliError(`${check.message}; nothing was written`);
      }
      say(`✓ ${check.url} answered: ${check.models.length} models`);
      const model = await askModel(
        provider,
        check.models,
        currentProvider === provider ? currentModel : undefined,
      );
      const currentMode = (current.agent as { mode?: AutonomyMode } | undefined)?.mode;
      say(
        'Autonomy: always-ask asks before every action, agent-decides asks for risky ones, always-execute never asks.',
      );
      const mode = await choose('mode', MODES, currentMode ?? 'agent-decides');
      return {
        action: 'write',
        reset,
        choices: {
          provider,
          model,
          mode,
          ...(baseURL ? { baseURL } : {}),
          ...(keyToStore ? { apiKey: keyToStore } : {}),
        },
        installService: await askService(),
      };
    }
  } finally {
    readline.close();
  }

  async function askModel(
    provider: ProviderName,
    listed: string[],
    current: string | undefined,
  ): Promise<string> {
    const shown = listed.slice(0, 20);
    if (shown.length > 0) {
      say('Models it offers:');
      for (const [index, id] of shown.entries()) say(`  ${index + 1}) ${id}`);
      if (listed.length > shown.length) say(`  ... and ${listed.length - shown.length} more (type a name)`);
    }
    const fallback =
      current?.slice(provider.length + 1) ??
      (DEFAULT_MODELS[provider] && listed.includes(DEFAULT_MODELS[provider])
        ? DEFAULT_MODELS[provider]
        : listed[0]) ??
      DEFAULT_MODELS[provider] ??
      '';
    for (;;) {
      const answer = await ask('model', fallback);
      const byNumber = /^\d+$/.test(answer) ? shown[Number(answer) - 1] : undefined;
      if (byNumber) return qualifyModel(provider, byNumber);
      if (answer) return qualifyModel(provider, answer);
      say('  type a model name');
    }
  }

  async function askService(): Promise<boolean> {
    if (!io.offerService) return false;
    say(
      'The gateway and the daemon can run as systemd user services (started at login, restarted on failure).',
    );
    return (await choose('install them?', ['y', 'n'] as const, 'n')) === 'y';
  }
}
