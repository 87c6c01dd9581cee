import { errorMessage } from '#lib/api/gateway.ts';
import { listChannels, listSenders } from '#lib/api/channels.ts';
import type { ChannelSenderView, ChannelView } from '#lib/protocol.ts';

/**
 * The Channels page's state: the channels, and each one's senders. Channels have no push events:
 * the page reads them when shown and every 10 s while open (a sender waiting, a delivery failing).
 */
class ChannelsState {
  list = $state<ChannelView[]>([]);
  senders = $state<Record<string, ChannelSenderView[]>>({});
  loaded = $state(false);
  error = $state('');

  async refresh(): Promise<void> {
    try {
      const channels = await listChannels();
      const senders = await Promise.all(channels.map((channel) => listSenders(channel.id)));
      this.list = channels;
      this.senders = Object.fromEntries(channels.map((channel, index) => [channel.id, senders[index]!]));
      this.loaded = true;
      this.error = '';
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  /** Reads now and every 10 s while the page is open; the returned function stops it. */
  use(): () => void {
    void this.refresh();
    const timer = setInterval(() => void this.refresh(), 10_000);
    return () => clearInterval(timer);
  }

  get pending(): ChannelSenderView[] {
    return Object.values(this.senders)
      .flat()
      .filter((sender) => sender.status === 'pending');
  }
}

export const channels = new ChannelsState();
