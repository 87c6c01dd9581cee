import { describe, expect, it } from 'vitest';
import type { ChannelView } from '../../src/protocol/index.ts';
import { signIn, startBoardStack } from '../support/browser/board-stack.ts';
import { collectPageErrors, useBrowser } from '../support/browser/browser.ts';
import { screenshotForDocs } from '../support/browser/docs-screenshot.ts';
import { startTelegramApiServer } from '../support/channels/telegram-api-server.ts';
import { onCleanup, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { waitFor } from '../support/wait.ts';

// The Channels page (docs/channels.md): a Telegram bot is added from the board (its token never
// shown again), a person who writes to it waits with Approve and Block, and a channel whose
// platform cannot be reached shows why, both without a reload (board push events). Slack and
// Discord are added with their own fields and end on the URL to paste into the platform. Real
// gateway and daemon, the Bot API fixture, Chromium.

useE2eCleanup();

describe('the Channels page', () => {
  const browser = useBrowser();

  it('adds a Telegram bot, approves a waiting sender, and shows a failing channel', async () => {
    const telegram = await startTelegramApiServer();
    onCleanup(() => telegram.close());
    const { gateway } = await startBoardStack({
      script: () => ({ type: 'text', text: 'Done.' }),
      viberName: 'desk-viber',
    });

    const page = await signIn(await browser.context(), gateway, '/channels');
    const errors = collectPageErrors(page);
    await page.getByRole('heading', { level: 1, name: 'Channels' }).waitFor();
    await page.getByText('No channels yet').waitFor();

    await page.getByTestId('add-channel').click();
    const dialog = page.getByTestId('add-channel-dialog');
    await dialog.getByLabel('Name').fill('team bot');
    await dialog.getByLabel('Runs tasks on').selectOption({ label: 'desk-viber' });
    await dialog.getByLabel('Bot token (from @BotFather)').fill(telegram.token);
    await dialog.getByText('Advanced').click();
    await dialog.getByLabel('API base URL').fill(telegram.url);
    await dialog.getByTestId('save-channel').click();
    const card = page.getByTestId('channel-card').filter({ hasText: 'team bot' });
    await card.waitFor();
    expect(await page.content()).not.toContain(telegram.token);
    await card.getByText('botToken').waitFor();
    await card.getByTestId('test-channel').click();
    await card.getByText('The platform answered: @viber_test_bot').waitFor();

    // A person writes; the page shows them waiting at once (a push event, no reload).
    telegram.pushMessage({
      chatId: 31,
      from: { id: 3100, first_name: 'Dana', username: 'dana' },
      text: 'hello',
    });
    await telegram.waitForSent((sent) => /pairing code/.test(sent.text ?? ''), 'the pairing code');
    // A channel whose platform cannot be reached: its poller's error shows on its card.
    await gateway.rest.client.call('channels.create', {
      body: {
        kind: 'telegram',
        name: 'offline bot',
        config: { apiBaseUrl: 'http://127.0.0.1:9' },
        secrets: { botToken: '1:unreachable' },
      },
    });
    await waitFor(
      async () => {
        const { channels } = await gateway.rest.client.call('channels.list');
        return channels.some((channel: ChannelView) => channel.status === 'failing');
      },
      { description: 'the offline bot failing' },
    );
    const sender = card.getByTestId('pending-sender');
    await sender.getByText('Dana (@dana)').waitFor();
    const failing = page.getByTestId('channel-card').filter({ hasText: 'offline bot' });
    await failing
      .getByTestId('channel-error')
      .getByText(/polling: telegram getUpdates: unreachable/)
      .waitFor();
    await screenshotForDocs(page, 'channels-desktop');

    await sender.getByTestId('approve-sender').click();
    await card.getByText('Dana (@dana) is allowed.').waitFor();
    const { senders } = await gateway.rest.client.call('channels.senders', {
      params: { channelId: (await card.getAttribute('data-channel-id'))! },
    });
    expect(senders).toEqual([expect.objectContaining({ senderId: '3100', status: 'allowed' })]);

    // Slack: its two secrets, then the URL to paste into the app's settings.
    await page.getByTestId('add-channel').click();
    await dialog.getByLabel('Platform').selectOption({ label: 'Slack app' });
    await dialog.getByLabel('Name').fill('slack workspace');
    await dialog.getByLabel('Bot User OAuth Token (xoxb-…)').fill('xoxb-board-test-token');
    await dialog.getByLabel('Signing secret').fill('board-test-signing-secret');
    await screenshotForDocs(page, 'channels-add-slack');
    await dialog.getByTestId('save-channel').click();
    const url = dialog.getByLabel('Webhook URL');
    await url.waitFor();
    const slackChannel = (await gateway.rest.client.call('channels.list')).channels.find(
      (channel: ChannelView) => channel.kind === 'slack',
    )!;
    expect(await url.inputValue()).toBe(`${gateway.url}/channels/${slackChannel.id}/webhook`);
    await dialog.getByText('Paste this URL as the Request URL of Event Subscriptions').waitFor();
    await screenshotForDocs(page, 'channels-add-slack-url');
    await dialog.getByTestId('channel-added-done').click();
    await page.getByTestId('channel-card').filter({ hasText: 'slack workspace' }).waitFor();
    expect(await page.content()).not.toContain('xoxb-board-test-token');

    // Discord: the public key is a setting, the bot token a secret.
    await page.getByTestId('add-channel').click();
    await dialog.getByLabel('Platform').selectOption({ label: 'Discord application' });
    await dialog.getByLabel('Name').fill('discord server');
    await dialog.getByLabel('Public key').fill('ab'.repeat(32));
    await dialog.getByLabel('Bot token').fill('discord-board-token');
    await dialog.getByTestId('save-channel').click();
    await dialog.getByText('Interactions Endpoint URL').waitFor();
    await dialog.getByTestId('channel-added-done').click();
    const discordCard = page.getByTestId('channel-card').filter({ hasText: 'discord server' });
    await discordCard.getByText('botToken').waitFor();

    const mobile = await signIn(await browser.context({ viewport: 'mobile' }), gateway, '/channels');
    await mobile.getByTestId('channel-card').first().waitFor();
    await screenshotForDocs(mobile, 'channels-mobile');
    expect(errors).toEqual([]);
  });
});
