import { describe, expect, it } from 'vitest';
import { mintLoginLink, signIn } from '../support/browser/board-stack.ts';
import { collectPageErrors, screenshot, useBrowser } from '../support/browser/browser.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { spawnViber } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { spawnGateway } from '../support/viber-stack.ts';

// Issue 11 (control plane): the board is a paired operator device with its own key, and its
// Devices page pairs, approves and revokes the machines `viber login` brings, live.

useE2eCleanup();

/** `viber login`'s line with the code to compare (bold on a terminal: escapes are skipped). */
const PAIRING_LINE = /pairing code: \S*?([A-Z0-9]{4}-[A-Z0-9]{4})/;
const PAIRED_LINE = /paired as viber (viber_\S+):/;

describe('devices page', () => {
  const browser = useBrowser();

  it('pairs the browser by its key, approves a `viber login` live, mints a pairing code, and revokes', async () => {
    // No loopback auto-approval: a `viber login` on this machine waits for an operator too.
    const gateway = await spawnGateway({ args: ['--no-auto-approve'] });
    const context = await browser.context();
    const page = await signIn(context, gateway, '/devices');
    const errors = collectPageErrors(page);
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();

    // The browser signed the sign-in with its WebCrypto key: a paired operator device with a key id.
    const session = await (await page.request.get(`${gateway.url}/api/session`)).json();
    expect(session).toMatchObject({ via: 'session', role: 'operator' });
    const listDevices = async () => (await gateway.rest.client.call('devices.list')).devices;
    const self = (await listDevices()).find((device) => device.id === session.deviceId);
    expect(self).toMatchObject({ status: 'paired', role: 'operator', keyId: session.deviceId });
    expect(self?.keyId).toMatch(/^[0-9a-f]{64}$/);
    await page.getByTestId('device-row').filter({ hasText: 'this browser' }).waitFor();
    // Signing in again from this browser is the same device: its key stayed in IndexedDB.
    const again = await signIn(context, gateway, '/devices');
    const sessionAgain = await (await again.request.get(`${gateway.url}/api/session`)).json();
    expect(sessionAgain.deviceId).toBe(session.deviceId);
    await again.close();

    // A new machine asks to pair; its request appears on the page at once, with the same code.
    await page.getByTestId('no-requests').waitFor();
    const login = spawnViber(['login', '--server', gateway.url, '--name', 'build-box-2'], {
      name: 'login-build-box-2',
      env: { OPENVIBER_HOME: makeTempDir('login') },
    });
    const code = (await login.waitForLine(PAIRING_LINE, { timeoutMs: 60_000 }))[1]!;
    const request = page.getByTestId('pairing-request').filter({ hasText: 'build-box-2' });
    await request.waitFor();
    expect((await request.getByTestId('pairing-code').textContent())?.trim()).toBe(code);
    await expect
      .poll(async () => (await request.getByTestId('time-left').textContent())?.trim())
      .toMatch(/^[45]:\d\d left$/);
    await page.getByRole('link', { name: 'Devices: 1 waiting for approval' }).waitFor();
    await screenshot(page, 'devices-pending-desktop-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'devices-pending-desktop-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    const phone = await (await browser.context({ viewport: 'mobile' })).newPage();
    await phone.context().addCookies(await context.cookies());
    await phone.goto(`${gateway.url}/devices`);
    await phone.getByTestId('pairing-request').filter({ hasText: 'build-box-2' }).waitFor();
    await screenshot(phone, 'devices-pending-mobile-light');
    await phone.close();

    // Approved on the page: the waiting `viber login` gets its token and becomes a viber.
    await request.getByTestId('approve-device').click();
    const viberId = (await login.waitForLine(PAIRED_LINE))[1]!;
    expect((await login.exited).code).toBe(0);
    await request.waitFor({ state: 'detached' });
    const row = page.getByTestId('device-row').filter({ hasText: 'build-box-2' });
    await row.getByRole('link', { name: 'build-box-2' }).waitFor();
    expect(await row.getByRole('link', { name: 'build-box-2' }).getAttribute('href')).toBe(
      `/vibers/${viberId}`,
    );
    const approved = (await listDevices()).find((device) => device.name === 'build-box-2');
    expect(approved).toMatchObject({ status: 'paired', role: 'node', viberId });
    await row.getByText('issued just now').waitFor();
    await screenshot(page, 'devices-paired-desktop-light');

    // "Pair a new machine": a one-time code, and the exact command that uses it.
    await page.getByTestId('pair-machine').click();
    const dialog = page.getByTestId('pair-machine-dialog');
    const command = (await dialog.getByTestId('pair-command').textContent())?.trim() ?? '';
    expect(command).toMatch(/^viber login --server \S+ --code ovc_\S+$/);
    expect(command.split(' ')[3]).toBe(gateway.url);
    await dialog
      .getByTestId('code-expiry')
      .getByText(/Expires in (10:00|9:\d\d)/)
      .waitFor();
    await screenshot(page, 'devices-pair-machine-desktop-light');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // The command as shown pairs a headless machine at once, no approval needed.
    const [, ...args] = command.split(' ');
    const headless = spawnViber([...args, '--name', 'ci-box'], {
      name: 'login-ci-box',
      env: { OPENVIBER_HOME: makeTempDir('login') },
    });
    await headless.waitForLine(PAIRED_LINE, { timeoutMs: 60_000 });
    await page.getByTestId('device-row').filter({ hasText: 'ci-box' }).waitFor();

    // Revoked from the page, after a confirm: it moves to the revoked list.
    await row.getByTestId('revoke-device').click();
    const confirm = page.getByTestId('confirm-dialog');
    await confirm.getByText('Its viber goes offline').waitFor();
    await confirm.getByTestId('confirm-action').click();
    await confirm.waitFor({ state: 'hidden' });
    await page.getByText('build-box-2 is revoked').waitFor();
    await page.getByRole('heading', { name: 'Revoked' }).click();
    await page
      .getByRole('table', { name: 'Revoked devices' })
      .getByTestId('device-row')
      .filter({ hasText: 'build-box-2' })
      .waitFor();
    expect((await listDevices()).find((device) => device.id === approved!.id)?.status).toBe('revoked');

    // Revoking this very browser ends its session; its key no longer signs in, and a new key
    // pairs it again as a new device.
    await page
      .getByTestId('device-row')
      .filter({ hasText: 'this browser' })
      .getByTestId('revoke-device')
      .click();
    await confirm.getByText('you will be signed out').waitFor();
    await confirm.getByTestId('confirm-action').click();
    await page.getByTestId('sign-in-again').waitFor();
    await page.goto(await mintLoginLink(gateway));
    await page.getByText('This browser was revoked on the Devices page').waitFor();
    await screenshot(page, 'login-revoked-desktop-light');
    await page.getByTestId('new-device-key').click();
    await page.getByText('This browser has a new device key').waitFor();
    await page.getByLabel('Operator token').fill(gateway.operatorToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${gateway.url}/`);
    const renewed = await (await page.request.get(`${gateway.url}/api/session`)).json();
    expect(renewed.deviceId).toMatch(/^[0-9a-f]{64}$/);
    expect(renewed.deviceId).not.toBe(session.deviceId);
    expect(errors.filter((error) => !/\b401\b/.test(error))).toEqual([]);
  });
});
