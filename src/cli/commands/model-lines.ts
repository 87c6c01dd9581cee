import { styleText } from 'node:util';
import type { EffectiveModel, ModelSettingSource, ViberView } from '../../protocol/index.ts';

// How `viber status` shows what each running daemon uses (docs/settings.md): the model, base
// URL, key and mode it reported, each with where it came from. Never a key's value: the daemon
// reports only that one is set.

/** What the daemon uses now: its latest heartbeat's, else what it said when it connected. */
export function reportedModel(viber: ViberView): EffectiveModel | undefined {
  return viber.status?.model ?? viber.info?.model;
}

const SOURCE_WORDS: Record<ModelSettingSource, string> = {
  env: 'daemon env',
  gateway: 'gateway settings',
  config: 'config.json',
  default: 'default',
};

function from(part: { source: ModelSettingSource; from?: string | undefined }): string {
  const where = part.source === 'env' || part.source === 'config' ? ` ${part.from ?? ''}` : '';
  return styleText('dim', `(${SOURCE_WORDS[part.source]}${where.trimEnd()})`);
}

/** `model custom/qwen (gateway settings) · base URL http://… (gateway settings) · key set (…) · mode always-ask (…)`. */
export function modelLine(model: EffectiveModel | undefined): string {
  if (!model) return styleText('dim', 'model not reported (a daemon older than model settings)');
  const parts = [
    model.model ? `model ${model.model.value} ${from(model.model)}` : 'no model',
    model.baseURL ? `base URL ${model.baseURL.value} ${from(model.baseURL)}` : undefined,
    model.apiKey ? `key set ${from(model.apiKey)}` : 'no key',
    `mode ${model.mode.value} ${from(model.mode)}`,
  ].filter(Boolean);
  const problems = [model.problem, model.pullError && `settings pull failed: ${model.pullError}`].filter(
    Boolean,
  );
  return [parts.join(' · '), ...problems.map((problem) => styleText('yellow', String(problem)))].join(
    '\n    ',
  );
}
