import { OpenViberError } from '../../core/errors.ts';
import type { SecretBox } from '../environments/secret-box.ts';
import type { ChannelRecord } from '../store/index.ts';

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
}

const context = (channelId: string, name: string) => `channel\n${channelId}\n${name}`;
