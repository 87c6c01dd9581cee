import type { RouteInput } from '#lib/client.ts';
import type { ModelSettingsView } from '#lib/protocol.ts';
import { gateway } from './gateway.ts';

/** The gateway's model settings (`settings.model.*` in src/protocol/settings-api.ts, docs/settings.md). */

export type ModelSettingsPatch = RouteInput<'settings.model.update'>['body'];

export function getModelSettings(): Promise<ModelSettingsView> {
  return gateway.call('settings.model.get');
}

/** A patch: a field given is set, null clears it; keys are write-only and never read back. */
export function updateModelSettings(patch: ModelSettingsPatch): Promise<ModelSettingsView> {
  return gateway.call('settings.model.update', { body: patch });
}
