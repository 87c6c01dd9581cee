import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { signIn } from '../support/browser/board-stack.ts';
import { collectPageErrors, screenshot, UI_TIMEOUT_MS, useBrowser } from '../support/browser/browser.ts';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { waitForTaskStatus } from '../support/e2e-fixtures.ts';
import { REPO_ROOT } from '../support/processes.ts';
import { spawnGateway, spawnViberFor } from '../support/viber-stack.ts';

// The Jobs page (docs/jobs.md): jobs listed with their schedule in words, zone, next run (in the
// job's zone, the viewer's time beside it), last run and state; the create form checks the pattern
// as it is typed and shows the next three runs; a job's history links each run to its task and
// shows a new run without a reload; an environment's side panel lists its jobs; more than a page
// of jobs loads on "Load more". The browser is in New York, the jobs in Berlin and Tokyo.

useE2eCleanup();

async function shoot(page: Page, name: string): Promise<void> {
  const path = await screenshot(page, name);
  const docs = join(REPO_ROOT, 'docs', 'screenshots');
  mkdirSync(docs, { recursive: true });
  copyFileSync(path, join(docs, `${name}.png`));
}

describe('the Jobs page', () => {
  const browser = useBrowser();

  it('lists jobs, creates one with a checked schedule, and links each run to its task', async () => {
    const model = await startModelServer({ script: () => ({ type: 'text', text: 'Report written.' }) });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'build-box' });
    const { client } = gateway.rest;
    const environment = await client.call('environments.create', {
      body: { name: 'web-app', type: 'manual', description: 'The storefront' },
    });
    const nightly = await client.call('jobs.create', {
      body: {
        name: 'nightly-report',
        cron: '0 3 * * *',
        timeZone: 'Europe/Berlin',
        goal: 'Summarise the failed builds of the day.',
        mode: 'always-execute',
        target: { type: 'viber', viberId: daemon.viberId },
      },
    });
    const digest = await client.call('jobs.create', {
      body: {
        name: 'weekday-digest',
        cron: '30 8 * * 1-5',
        timeZone: 'America/New_York',
        goal: 'Write the morning digest of open pull requests.',
        target: { type: 'environment', environmentId: environment.id },
        missedRuns: 'run-once',
      },
    });
    await client.call('jobs.create', {
      body: {
        name: 'hourly-check',
        cron: '15 * * * *',
        goal: 'Check the disk space.',
        target: { type: 'viber', viberId: daemon.viberId },
        enabled: false,
      },
    });
    // A run that completes, and one that cannot start (the environment is mapped to no viber).
    const run = await client.call('jobs.run', { params: { id: nightly.id } });
    await waitForTaskStatus(gateway.rest, run.taskId!, 'completed');
    const failed = await client.call('jobs.run', { params: { id: digest.id } });
    expect(failed).toMatchObject({ status: 'failed-to-start', taskId: null });
    expect(failed.error).toContain('not mapped to any viber');

    const context = await browser.context({ timezoneId: 'America/New_York' });
    const page = await signIn(context, gateway, '/jobs');
    const errors = collectPageErrors(page);
    const table = page.getByTestId('jobs-table');
    const nightlyRow = table.locator('tr[data-job="nightly-report"]');
    await nightlyRow.getByText('Every day at 03:00').waitFor();
    expect(await nightlyRow.textContent()).toContain('Europe/Berlin');
    // The next run at 03:00 in the job's zone, 21:00 the day before in the viewer's.
    const next = nightlyRow.locator('td[data-label="Next run"]');
    await next
      .getByTestId('job-time')
      .getByText(/^\w{3} \d{1,2} \w{3}( \d{4})? 03:00 Europe\/Berlin$/)
      .waitFor();
    expect(await next.getByTestId('job-time-local').textContent()).toMatch(/ 21:00 your time$/);
    expect(await next.getByTestId('job-time').getAttribute('title')).toMatch(
      / 21:00 America\/New_York \(your time\)$/,
    );
    await nightlyRow.locator('[data-status="completed"]').waitFor();
    const digestRow = table.locator('tr[data-job="weekday-digest"]');
    await digestRow.getByText('Weekdays at 08:30').waitFor();
    await digestRow.locator('[data-status="failed-to-start"]').waitFor();
    expect(await digestRow.textContent()).toContain('web-app');
    await table.locator('tr[data-job="hourly-check"]').getByText('paused').waitFor();
    await shoot(page, 'jobs-desktop');

    // A channel to send a job's results to (docs/jobs.md, "Delivery to a chat"): the form offers it.
    const answers = await client.call('channels.create', {
      body: {
        kind: 'webhook',
        name: 'ops-answers',
        config: { url: 'http://127.0.0.1:9/answers' },
        secrets: { signingSecret: 'jobs-form-signing-secret' },
      },
    });

    // The form: a bad pattern is refused with croner's reason, a good one shows its next runs.
    await page.getByTestId('new-job').click();
    const form = page.getByTestId('job-form');
    const preview = page.getByTestId('job-preview');
    await form.getByLabel('Name').fill('quarter-hourly');
    await form.getByLabel('Schedule (cron)').fill('*/5 * *');
    await preview.getByText(/^cron: "\*\/5 \* \*" has 3 fields/).waitFor();
    await form.getByLabel('Schedule (cron)').fill('0 61 * * *');
    await preview.getByText(/^cron: "0 61 \* \* \*" is not a valid pattern/).waitFor();
    expect(await form.getByRole('button', { name: 'Create job' }).isDisabled()).toBe(true);
    await form.getByLabel('Schedule (cron)').fill('0 */15 * * * *');
    await form.getByLabel('Time zone').fill('Asia/Tokyo');
    await preview.getByText('Every 15 minutes').waitFor();
    await preview.getByText('next runs (Asia/Tokyo)').waitFor();
    expect(await preview.locator('li').count()).toBe(3);
    expect(await preview.locator('li').first().getByTestId('job-time').textContent()).toMatch(
      /:(00|15|30|45) Asia\/Tokyo$/,
    );
    // Under the floor of a minute: refused as it is typed, with the reason.
    await form.getByLabel('Schedule (cron)').fill('*/10 * * * * *');
    await preview.getByText(/^cron: .* fires 10 s apart .*at most once every 60 s/).waitFor();
    await form.getByLabel('Schedule (cron)').fill('0 */15 * * * *');
    await preview.locator('li').nth(2).waitFor();
    await form.getByLabel('Goal').fill('Look at the queue.');
    await form.getByLabel('a viber').check();
    await form.getByLabel('Viber', { exact: true }).selectOption(daemon.viberId);
    // Results to a channel need its chat: Create waits for it.
    await form.getByLabel('Results to').selectOption(answers.id);
    expect(await form.getByRole('button', { name: 'Create job' }).isDisabled()).toBe(true);
    await form.getByLabel('Chat or thread').fill('ops-room');
    await shoot(page, 'jobs-new-desktop');
    await form.getByRole('button', { name: 'Create job' }).click();
    await table.locator('tr[data-job="quarter-hourly"]').getByText('Every 15 minutes').waitFor();
    const created = await client.call('jobs.get', { params: { id: 'quarter-hourly' } });
    expect(created.cron).toBe('0 */15 * * * *');
    expect(created.delivery).toEqual({ to: 'channel', channelId: answers.id, conversationKey: 'ops-room' });

    // A job's history links its run to its task.
    await nightlyRow.getByRole('link', { name: 'nightly-report' }).click();
    const history = page.getByTestId('job-runs');
    const runRow = history.locator(`tr[data-run="${run.id}"]`);
    await runRow.locator('[data-status="completed"]').waitFor();
    expect(await runRow.textContent()).toContain('run now');
    await page.getByTestId('next-runs').locator('time').nth(2).waitFor();
    expect(await page.getByTestId('next-runs').getByTestId('job-time').first().textContent()).toMatch(
      / 03:00 Europe\/Berlin$/,
    );
    // A run recorded elsewhere (here: the CLI's run now) shows without a reload, and so does its
    // task's status as the viber runs it: the board's events, no polling.
    const marker = await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
      return true;
    });
    const live = await client.call('jobs.run', { params: { id: nightly.id } });
    const liveRow = history.locator(`tr[data-run="${live.id}"]`);
    await liveRow.locator('[data-status="completed"]').waitFor();
    expect(await history.locator('tbody tr').first().getAttribute('data-run')).toBe(live.id);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      marker,
    );
    await shoot(page, 'jobs-detail-desktop');
    // The page's own Run now.
    await page.getByTestId('run-now').click();
    await history.locator('tbody tr').nth(2).waitFor();
    await history.locator('tbody tr').first().locator('[data-status="completed"]').waitFor();
    await runRow.getByRole('link', { name: run.taskId! }).click();
    await page.waitForURL(`**/tasks/${run.taskId}`, { timeout: UI_TIMEOUT_MS });

    // The environment's side panel lists its jobs, with a way to schedule one there.
    await page.goto(`${gateway.url}/environments/${environment.id}`);
    const tool = page.getByTestId('environment-jobs');
    await tool.getByRole('link', { name: 'weekday-digest' }).waitFor();
    await tool.locator('[data-status="failed-to-start"]').waitFor();
    await tool.scrollIntoViewIfNeeded();
    await shoot(page, 'jobs-environment-desktop');
    await tool.getByTestId('new-job-here').click();
    await page.getByTestId('job-form').getByLabel('Environment', { exact: true }).waitFor();
    expect(await page.getByTestId('job-form').getByLabel('Environment', { exact: true }).inputValue()).toBe(
      environment.id,
    );
    // The only failed loads are the three patterns the preview refused (400), as it should.
    expect(errors).toEqual([
      expect.stringContaining('status of 400'),
      expect.stringContaining('status of 400'),
      expect.stringContaining('status of 400'),
    ]);

    for (const [path, name, list, facts] of [
      ['/jobs', 'jobs-mobile', 'jobs-table', 'jobs-table'],
      [`/jobs/${nightly.id}`, 'jobs-detail-mobile', 'job-runs', 'job-facts'],
    ] as const) {
      const mobile = await signIn(await browser.context({ viewport: 'mobile' }), gateway, path);
      await mobile.getByTestId(list).locator('[data-status="completed"]').first().waitFor();
      // The viber by its name, once the board has read the vibers.
      await mobile.getByTestId(facts).getByText('build-box').first().waitFor();
      await shoot(mobile, name);
    }

    // More jobs than a page: the first 50 by name, the rest on "Load more"; a job created
    // meanwhile appears without a reload.
    await page.goto(`${gateway.url}/jobs`);
    await table.locator('tr[data-job="nightly-report"]').waitFor();
    for (let index = 0; index < 50; index++) {
      await client.call('jobs.create', {
        body: {
          name: `zz-bulk-${String(index).padStart(2, '0')}`,
          cron: '0 4 * * *',
          goal: 'Bulk.',
          target: { type: 'viber', viberId: daemon.viberId },
          enabled: false,
        },
      });
    }
    await table.locator('tr[data-job="zz-bulk-45"]').waitFor();
    expect(await table.locator('tbody tr').count()).toBe(50);
    await page.getByRole('button', { name: 'Load more jobs' }).click();
    await table.locator('tr[data-job="zz-bulk-49"]').waitFor();
    expect(await table.locator('tbody tr').count()).toBe(54);
    expect(await page.getByRole('button', { name: 'Load more jobs' }).count()).toBe(0);

    // More runs than a page: a job on a viber that is not connected (its tasks wait), run 51 times.
    const away = await gateway.rest.registerViber('away-box');
    const busy = await client.call('jobs.create', {
      body: {
        name: 'many-runs',
        cron: '0 5 * * *',
        goal: 'Wait.',
        target: { type: 'viber', viberId: away.id },
      },
    });
    const runIds: string[] = [];
    for (let index = 0; index < 51; index++) {
      runIds.push((await client.call('jobs.run', { params: { id: busy.id } })).id);
    }
    await page.goto(`${gateway.url}/jobs/${busy.id}`);
    const runs = page.getByTestId('job-runs');
    await runs.locator(`tr[data-run="${runIds[50]}"]`).waitFor();
    expect(await runs.locator('tbody tr').count()).toBe(50);
    await page.getByRole('button', { name: 'Load more runs' }).click();
    await runs.locator(`tr[data-run="${runIds[0]}"]`).waitFor();
    expect(await runs.locator('tbody tr').count()).toBe(51);
  });
});
