import type { EffectiveModel, ModelProvider, ModelSettingSource, ViberView } from '#lib/protocol.ts';

export const PROVIDER_LABELS: Record<ModelProvider, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  custom: 'Custom (OpenAI-compatible)',
};

/** What the daemon uses now: its latest heartbeat's, else what it said when it connected. */
export function effectiveModelOf(viber: ViberView): EffectiveModel | undefined {
  return viber.status?.model ?? viber.info?.model;
}

/** Where a setting came from, in words: "gateway settings", "daemon env OPENVIBER_MODEL". */
export function sourceLabel(part: { source: ModelSettingSource; from?: string | undefined }): string {
  switch (part.source) {
    case 'env':
      return `daemon env ${part.from ?? ''}`.trim();
    case 'gateway':
      return 'gateway settings';
    case 'config':
      return `config.json ${part.from ?? ''}`.trim();
    case 'default':
      return 'default';
  }
}
