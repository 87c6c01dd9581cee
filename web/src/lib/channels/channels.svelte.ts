import { errorMessage } from '#lib/api/gateway.ts';
import { listChannels, listSenders } from '#lib/api/channels.ts';
import type { BoardEvent, ChannelSenderView, ChannelView } from '#lib/protocol.ts';
import { board } from '#lib/state/board.svelte.ts';

/**
 * The Channels page's state: the channels, and each one's senders, kept current by the board's
 * push events: read on every (re)connection (`events.ready`: events are not replayed) and on
 * `channel.changed` (a channel added, changed or failing, a sender waiting or decided, a delivery
 * queued, sent or failed). Bursts (a long answer's parts) are read once.
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

  /** Reads now and on each push event while the page is open; the returned function stops it. */
  use(): () => void {
    void this.refresh();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = board.subscribe((event: BoardEvent) => {
      if (event.type !== 'events.ready' && event.type !== 'channel.changed') return;
      clearTimeout(timer);
      timer = setTimeout(() => void this.refresh(), 150);
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }

  get pending(): ChannelSenderView[] {
    return Object.values(this.senders)
      .flat()
      .filter((sender) => sender.status === 'pending');
  }
}

export const channels = new ChannelsState();
