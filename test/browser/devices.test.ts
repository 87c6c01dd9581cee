import { describe, expect, it } from 'vitest';
import { mintLoginLink, signIn } from '../support/browser/board-stack.ts';
import { collectPageErrors, launchBrowser, newContext, screenshot } from '../support/browser/browser.ts';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { FINAL_TEXT, makeFixtureDir, toolThenText, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import { spawnViber } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { makeTestPki, useTestCaTrust } from '../support/test-ca.ts';
import { CONNECTED_LINE, spawnGateway } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Issue 11 (control plane): the board is a paired operator device with its own key, and its
// Devices page pairs, approves and revokes the machines `viber login` brings, live. All of it over
// real TLS: a CA made for the test with openssl, a gateway serving https and wss with a
// certificate it signed, Chromium accepting that one certificate (pinned by its key; every other
// is checked as usual), and every `viber` process trusting the CA with --ca or OPENVIBER_CA_FILE.

useE2eCleanup();
const testCa = useTestCaTrust();

/** `viber login`'s line with the code to compare (bold on a terminal: escapes are skipped). */
const PAIRING_LINE = /pairing code: \S*?([A-Z0-9]{4}-[A-Z0-9]{4})/;
const PAIRED_LINE = /paired as viber (viber_\S+):/;

describe('devices page', () => {
  it('pairs the browser by its key, approves a `viber login` live over https, runs a task on it, mints a pairing code, and revokes', async () => {
    // The gateway serves https and wss with a certificate signed by a CA made for this test; the
    // test process (its REST calls) trusts that CA, and Chromium accepts that one certificate.
    const pki = makeTestPki();
    testCa.trust(pki);
    const model = await startModelServer({ script: toolThenText() });
    // No loopback auto-approval: a `viber login` on this machine waits for an operator too.
    const gateway = await spawnGateway({
      args: ['--tls-cert', pki.cert, '--tls-key', pki.key, '--no-auto-approve'],
    });
    expect(gateway.url).toBe(`https://127.0.0.1:${gateway.port}`);
    const browser = await launchBrowser({ acceptCertificates: [pki.cert] });
    onCleanup(() => browser.close());
    const context = await newContext(browser);
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
    // A new machine (its own home) trusts the gateway's CA with --ca.
    const machine = makeTempDir('login');
    const login = spawnViber(['login', '--server', gateway.url, '--ca', pki.ca, '--name', 'build-box-2'], {
      name: 'login-build-box-2',
      env: { OPENVIBER_HOME: machine },
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
    const phone = await (await newContext(browser, { viewport: 'mobile' })).newPage();
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
      env: { OPENVIBER_HOME: makeTempDir('login'), OPENVIBER_CA_FILE: pki.ca },
    });
    await headless.waitForLine(PAIRED_LINE, { timeoutMs: 60_000 });
    await page.getByTestId('device-row').filter({ hasText: 'ci-box' }).waitFor();

    // On the approved machine `viber start` needs no flags: its home holds the wss address, its
    // viber id and its token; only the CA (and the test's model) come from the environment.
    const daemon = spawnViber(['start'], {
      name: 'start-build-box-2',
      env: {
        OPENVIBER_HOME: machine,
        OPENVIBER_CA_FILE: pki.ca,
        OPENVIBER_MODEL: 'custom/test-model',
        OPENVIBER_BASE_URL: model.baseURL,
      },
    });
    const [, connectedTo, connectedAs] = await daemon.waitForLine(CONNECTED_LINE, { timeoutMs: 60_000 });
    expect(connectedTo).toBe(gateway.wsUrl);
    expect(connectedTo).toMatch(/^wss:/);
    expect(connectedAs).toBe(viberId);
    // The sidebar counts it online (ci-box, paired but never started, is offline).
    await page.getByRole('link', { name: /Vibers: 1 online, 0 busy, 1 offline/ }).waitFor();
    const task = await gateway.rest.createTask({
      goal: 'List the files in the working folder.',
      viberId,
      options: { cwd: makeFixtureDir() },
    });
    const detail = await waitForTaskStatus(gateway.rest, task.id, 'completed');
    expect(JSON.stringify(detail)).toContain(FINAL_TEXT);
    expect(model.requests).toHaveLength(2);

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
    // Its daemon is disconnected at once and exits saying why; its viber is offline.
    const exited = await waitFor(() => daemon.exitInfo, { description: 'the revoked daemon to exit' });
    expect(exited.code).toBe(1);
    expect(daemon.stderr).toMatch(/viber: the gateway refused this viber: .*revoked/);
    await page.getByRole('link', { name: /Vibers: 0 online, 0 busy, 2 offline/ }).waitFor();
    expect((await gateway.rest.getViber(viberId))?.presence).toBe('offline');

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
