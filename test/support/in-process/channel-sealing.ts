import { randomBytes } from 'node:crypto';
import { ChannelSecrets } from '../../../src/gateway/channels/channel-secrets.ts';
import { keyIdOf } from '../../../src/gateway/environments/master-key.ts';
import { SecretBox } from '../../../src/gateway/environments/secret-box.ts';

/**
 * The `seal` and `open` of a channel's context for adapter tests: the real sealing (AES-256-GCM
 * bound to the channel) under a fresh master key, as the gateway gives an adapter.
 */
export function channelSealing(channelId: string): {
  seal(name: string, value: string): string;
  open(name: string, sealed: string): string | undefined;
} {
  const key = randomBytes(32);
  const secrets = new ChannelSecrets(
    new SecretBox({ status: 'ok', key, keyId: keyIdOf(key), source: 'env', path: '/nowhere' }),
  );
  return {
    seal: (name, value) => secrets.sealValue(channelId, name, value),
    open: (name, sealed) => secrets.openValue(channelId, name, sealed),
  };
}
