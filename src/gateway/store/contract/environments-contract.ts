import { describe, expect, it } from 'vitest';
import { OpenViberError } from '../../../core/errors.ts';
import {
  aBinding,
  aCommand,
  addEnvironment,
  addViber,
  anEnvironment,
  aPrepare,
  aSecret,
  type OpenStore,
  tick,
  useStore,
} from './contract-harness.ts';

const isConflict = (error: unknown) =>
  OpenViberError.isInstance(error) && error.code === 'conflict' && error.status === 409;

export function environmentsContract(open: OpenStore): void {
  describe('environments', () => {
    const t = useStore(open);

    it('keeps an environment with its variables and secrets, found by id or name', async () => {
      const created = await addEnvironment(t.store, 'environment_web', 'web');
      const full = { ...created, bindings: [] };
      expect(await t.store.getEnvironment('environment_web')).toEqual(full);
      expect(await t.store.findEnvironmentByName('web')).toEqual(full);
      expect(await t.store.getEnvironment('environment_missing')).toBeNull();
      expect(await t.store.findEnvironmentByName('missing')).toBeNull();
      expect(await t.store.countSecrets()).toBe(1);
      expect(t.changes()).toEqual([{ type: 'environment.changed', environmentId: 'environment_web' }]);
    });

    it('refuses a name that is taken, and lists by name whatever its case', async () => {
      await addEnvironment(t.store, 'environment_b', 'beta');
      await addEnvironment(t.store, 'environment_a', 'Alpha');
      await addEnvironment(t.store, 'environment_c', 'gamma');
      const clash = { environment: anEnvironment('environment_d', 'beta'), variables: [], secrets: [] };
      await expect(t.store.createEnvironment(clash)).rejects.toSatisfy(isConflict);
      expect(await t.store.getEnvironment('environment_d')).toBeNull();
      const names = (await t.store.listEnvironments()).map((full) => full.environment.name);
      expect(names).toEqual(['Alpha', 'beta', 'gamma']);
    });

    it('applies what decide chooses, commands included, in one transaction', async () => {
      await addViber(t.store, 'viber_a');
      await addEnvironment(t.store, 'environment_web', 'web');
      const binding = aBinding('binding_1', 'environment_web', 'viber_a');
      await t.store.upsertBinding('environment_web', 'viber_a', () => ({ binding }));
      t.clear();
      const synced = { ...binding, generation: 2, status: 'stale' as const, updatedAt: tick() };
      const sync = aCommand('viber_a', null, 'environment:sync', { bindingId: binding.id });
      const updated = await t.store.updateEnvironment('environment_web', (current) => {
        expect(current.bindings).toEqual([binding]);
        return {
          environment: { ...current.environment, description: 'edited', version: 2 },
          variables: [{ key: 'ZONE', value: 'b' }],
          setSecrets: [aSecret('API_KEY')],
          deleteSecrets: ['TOKEN'],
          bindings: [synced],
          commands: [sync],
        };
      });
      expect(updated).toMatchObject({
        environment: { description: 'edited', version: 2 },
        variables: [{ key: 'ZONE', value: 'b' }],
        secrets: [{ key: 'API_KEY' }],
        bindings: [synced],
      });
      expect(await t.store.getEnvironment('environment_web')).toEqual(updated);
      expect((await t.store.listCommands('viber_a', 0, 10)).map((command) => command.commandId)).toEqual([
        sync.commandId,
      ]);
      expect(t.changes()).toEqual([{ type: 'environment.changed', environmentId: 'environment_web' }]);
    });

    it('keeps variables and secrets decide does not name, and replaces a secret of the same key', async () => {
      await addEnvironment(t.store, 'environment_web', 'web');
      const replaced = aSecret('TOKEN', 'mk_other');
      const updated = await t.store.updateEnvironment('environment_web', (current) => ({
        environment: current.environment,
        setSecrets: [replaced],
      }));
      expect(updated?.variables).toEqual([{ key: 'REGION', value: 'eu' }]);
      expect(updated?.secrets).toEqual([
        expect.objectContaining({
          key: 'TOKEN',
          encryptedValue: replaced.encryptedValue,
          kmsKeyId: 'mk_other',
        }),
      ]);
    });

    it('changes nothing when decide throws or the new name is taken, and knows no unknown id', async () => {
      const web = await addEnvironment(t.store, 'environment_web', 'web');
      await addEnvironment(t.store, 'environment_api', 'api');
      t.clear();
      await expect(
        t.store.updateEnvironment('environment_web', () => {
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      await expect(
        t.store.updateEnvironment('environment_web', (current) => ({
          environment: { ...current.environment, name: 'api' },
          variables: [],
        })),
      ).rejects.toSatisfy(isConflict);
      expect(await t.store.getEnvironment('environment_web')).toEqual({ ...web, bindings: [] });
      expect(
        await t.store.updateEnvironment('environment_missing', (current) => ({
          environment: current.environment,
        })),
      ).toBeNull();
      expect(t.changes()).toEqual([]);
    });

    it('deletes an environment with everything that hangs off it, its commands included', async () => {
      await addViber(t.store, 'viber_a');
      await addEnvironment(t.store, 'environment_web', 'web');
      const binding = aBinding('binding_1', 'environment_web', 'viber_a');
      await t.store.upsertBinding('environment_web', 'viber_a', () => ({
        binding,
        command: aPrepare(binding),
      }));
      await t.store.appendBindingLog(
        { bindingId: 'binding_1', generation: 1, stream: 'stdout', line: 'cloning', at: tick() },
        10,
      );
      t.clear();
      expect(await t.store.deleteEnvironment('environment_web')).toBe(true);
      expect(await t.store.deleteEnvironment('environment_web')).toBe(false);
      expect(await t.store.getEnvironment('environment_web')).toBeNull();
      expect(await t.store.getBinding('binding_1')).toBeNull();
      expect(await t.store.readBindingLogs('binding_1', 0, 10)).toEqual([]);
      expect(await t.store.listCommands('viber_a', 0, 10)).toEqual([]);
      expect(await t.store.countSecrets()).toBe(0);
      expect(t.changes()).toEqual([{ type: 'environment.removed', environmentId: 'environment_web' }]);
    });
  });
}
