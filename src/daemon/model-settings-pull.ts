import { type ModelSettingsPull, ModelSettingsPullSchema } from '../protocol/index.ts';
import { pullViberResource, type ViberPull } from './environment/config-client.ts';

/**
 * GET /api/vibers/:id/model-settings with the viber's own token (docs/settings.md). The answer
 * holds the providers' keys: kept in memory only, never written anywhere, never in an error. An
 * old gateway without the route answers 404 (an error body never holds a key).
 */
export function pullModelSettings(input: ViberPull): Promise<ModelSettingsPull> {
  return pullViberResource(input, 'model-settings', ModelSettingsPullSchema, {
    reach: 'the model settings',
    pull: 'the model settings pull',
    answer: 'the model settings answer',
  });
}
