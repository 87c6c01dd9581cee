import {
  ModelSettingsPullSchema,
  ModelSettingsViewSchema,
  UpdateModelSettingsBodySchema,
} from './model-settings.ts';
import type { RestRoute, ScopeCondition } from './rest-route.ts';
import { ViberIdParamsSchema } from './viber-api.ts';

/** Setting or deleting a provider key needs `secrets.write` beside `vibers.admin`. */
const writesKeys: ScopeCondition = {
  scope: 'secrets.write',
  when: 'the body sets or deletes an API key',
  applies: ({ body }) => {
    const keys = typeof body === 'object' && body !== null ? Reflect.get(body, 'apiKeys') : undefined;
    return typeof keys === 'object' && keys !== null && Object.keys(keys).length > 0;
  },
};

/** The gateway's model settings (docs/settings.md): read, update, and a viber's own pull. */
export const SETTINGS_ROUTES = {
  'settings.model.get': {
    kind: 'json',
    method: 'GET',
    path: '/api/settings/model',
    scope: 'tasks.read',
    summary: "The gateway's model settings; each API key only as set or not set, and when.",
    responses: { 200: ModelSettingsViewSchema },
    idempotencyKey: false,
  },
  'settings.model.update': {
    kind: 'json',
    method: 'PUT',
    path: '/api/settings/model',
    scope: 'vibers.admin',
    alsoNeeds: [writesKeys],
    summary:
      'Patches the model settings (null clears a field); keys are stored encrypted and never shown again. Connected vibers are asked to pull them.',
    body: UpdateModelSettingsBodySchema,
    responses: { 200: ModelSettingsViewSchema },
    idempotencyKey: false,
  },
  'vibers.modelSettingsPull': {
    kind: 'json',
    method: 'GET',
    path: '/api/vibers/:id/model-settings',
    scope: 'node',
    summary: "The gateway's model settings with the API keys; a viber's own token, never an operator's.",
    params: ViberIdParamsSchema,
    responses: { 200: ModelSettingsPullSchema },
    idempotencyKey: false,
  },
} as const satisfies Record<string, RestRoute>;
