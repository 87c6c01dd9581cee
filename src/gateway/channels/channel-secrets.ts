import { OpenViberError } from '../../core/errors.ts';
import type { SecretBox } from '../environments/secret-box.ts';
import type { ChannelRecord } from '../store/index.ts';

/**
 * What a channel whose secrets do not open says (its `lastError`, a delivery's error, a test): a
 * gateway started with another master key can do nothing with the channel, and retrying will not
 * change that, so its deliveries fail at once instead of being retried forever.
 */
export const SECRETS_DO_NOT_OPEN =
  "the channel's secrets cannot be opened with this gateway's master key: set OPENVIBER_MASTER_KEY to the key the channel was created with";

/**
 * A channel's secrets (bot tokens, signing secrets) sealed under the gateway's master key, each
 * bound to its channel and name (a sealed value copied to another channel or name does not open).
 * Opened only for the call that needs them; never in a view, a log line or an error.
 */
export class ChannelSecrets {
  readonly #box: SecretBox;

  constructor(box: SecretBox) {
    this.#box = box;
  }

  seal(channelId: string, name: string, value: string): string {
    const sealed = this.#box.sealText(context(channelId, name), value);
    if (sealed === null) {
      throw new OpenViberError(
        'conflict',
        `cannot store secret ${name}: ${this.#box.problem ?? 'no master key'}`,
        409,
      );
    }
    return sealed;
  }

  /** Every secret of the channel, opened; one that does not open is left out, with why in `problems`. */
  open(channel: ChannelRecord): { secrets: Record<string, string>; problems: string[] } {
    const secrets: Record<string, string> = {};
    const problems: string[] = [];
    for (const [name, sealed] of Object.entries(channel.sealedSecrets)) {
      const opened = this.#box.openText(context(channel.id, name), sealed);
      if (opened.ok) secrets[name] = opened.value;
      else problems.push(`secret ${name} does not open: ${opened.reason}`);
    }
    return { secrets, problems };
  }

  /**
   * Seals a value that belongs to one event, not to the channel's settings (Discord's interaction
   * token): bound to the channel and `name` (prefixed, so it never opens as a channel secret).
   * Empty when the gateway has no master key (the value is then not kept at all).
   */
  sealValue(channelId: string, name: string, value: string): string {
    return this.#box.sealText(context(channelId, `value:${name}`), value) ?? '';
  }

  openValue(channelId: string, name: string, sealed: string): string | undefined {
    if (!sealed) return undefined;
    const opened = this.#box.openText(context(channelId, `value:${name}`), sealed);
    return opened.ok ? opened.value : undefined;
  }
}

const context = (channelId: string, name: string) => `channel\n${channelId}\n${name}`;
