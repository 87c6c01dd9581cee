import type { Hono } from 'hono';
import { OpenViberError } from '../../core/errors.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import { routes } from '../http/route-registrar.ts';
import type { ModelSettingsService } from './model-settings-service.ts';

/**
 * The settings routes of the table: an operator reads and patches the model settings; a viber
 * (its own node token, scope `node`) pulls them with the keys, for itself only.
 */
export function settingsRoutes(settings: ModelSettingsService): Hono<GatewayEnv> {
  return routes()
    .json('settings.model.get', () => settings.view())
    .json('settings.model.update', ({ body }) => settings.update(body))
    .json('vibers.modelSettingsPull', async ({ params }, c) => {
      if (c.get('principal')?.viberId !== params.id) {
        throw new OpenViberError('forbidden', 'a viber may read only its own configuration', 403);
      }
      c.header('Cache-Control', 'no-store');
      return settings.pull();
    }).app;
}
