// The broker's port is never offered for forwarding. In code-server (and Remote SSH, dev
// containers) VS Code forwards every new port it finds listening and says "Your application
// running on port N is available". Each test runs in a network namespace of its own (fixed
// ports: the broker's default 7899, and a control server on 8000 that VS Code's heuristics
// prefer), with a control: a plain server started in a terminal is forwarded, the broker is not.
//   - the default port: the contributed remote.portsAttributes default (desktop VS Code refuses
//     the proposed provider API to Marketplace extensions; CLAUDE_PEERS_PORT_ATTRIBUTES=settings
//     makes code-server, which allows it to all, do the same);
//   - another port where the provider API works (code-server): the provider;
//   - another port without it: VS Code forwards it (the control), the extension offers once to
//     add the entry to the user's settings, and after the click and a reload it is left alone.
// VS Code never auto-forwards a port that was listening at its first scan (its "initial
// candidates"), and that scan runs in the extension host that starts the broker: which comes
// first is a race. So the broker's port is held (bound, not listening: no candidate) until VS Code
// has forwarded the control server, and the broker then binds as a new listener, as it does when
// a window takes over; a second control server started after that proves VS Code scanned since.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eSkip } from './tools.ts';
import { startCodeServer, type CodeServer } from './code-server.ts';
import { openWorkbench, screenshot, runCommand, type Workbench } from './workbench.ts';
import { openTerminal, terminalText, typeInTerminal } from './terminal.ts';
import { waitUntil } from './waits.ts';
import { extensionUnderTest, servedStatus } from './world.ts';
import {
  IN_PRIVATE_NETWORK, privateNetworkMissingReason, runInPrivateNetwork, forwardedPorts, notificationTexts, clickNotificationButton, extensionLog, extensionReady, running,
} from './desktop-support.ts';
import { projectDir } from '../support/claude-cli.ts';
import { tempHome } from '../support/processes.ts';

const CONTROL = 8000;
const OTHER = 8899;
const netWhy = IN_PRIVATE_NETWORK ? '' : privateNetworkMissingReason();

function skip(): string | false {
  const e2e = e2eSkip();
  if (e2e) return e2e;
  if (!netWhy || process.env.CI === 'true') return false;
  const msg = `SKIPPED ports e2e: ${netWhy}`;
  process.stderr.write(`\n*** ${msg} ***\n\n`);
  return msg;
}

/** A test whose body runs in a private network namespace (this file, run again there). */
function isolatedTest(name: string, body: (t: TestContext) => Promise<void>): void {
  test(name, { skip: skip(), timeout: 240_000 }, async (t) => {
    if (IN_PRIVATE_NETWORK) return body(t);
    if (netWhy) throw new Error(`${netWhy} — CI=true, so this cannot be skipped`);
    const r = await runInPrivateNetwork(t, __filename, name, 230_000);
    assert.equal(r.code, 0, `the test failed in its network namespace:\n${r.output.slice(-8000)}`);
  });
}

interface Window { cs: CodeServer; wb: Workbench; brokerHome: string; port: number; hold?: ChildProcess }

/** Binds 127.0.0.1:port without listening: nobody can take it, and no port scan lists it. */
async function holdPort(port: number): Promise<ChildProcess> {
  const p = spawn('python3', ['-c', `import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',${port}))\nprint('held',flush=True)\ntime.sleep(3600)`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    p.stdout!.once('data', () => resolve());
    p.once('exit', (code) => reject(new Error(`could not hold port ${port} (python3 exited ${code})`)));
  });
  return p;
}

/**
 * A window whose broker binds `port` only after VS Code is scanning for ports (see the top): the
 * port is held while the window opens and until the control server is forwarded.
 */
async function open(w: Partial<Window>, port: number, env: NodeJS.ProcessEnv = {}): Promise<Window> {
  const folder = projectDir('cp-e2e-ports-');
  w.brokerHome = tempHome('cp-e2e-peers-');
  w.port = port;
  w.hold = await holdPort(port);
  w.cs = await startCodeServer({ folder, ...extensionUnderTest(), settings: { 'claudePeers.port': port }, env: { CLAUDE_PEERS_HOME: w.brokerHome, ...env } });
  w.wb = await openWorkbench(w.cs.url);
  await extensionReady(w.cs.userDataDir);
  await controlForwarded(w as Window);
  w.hold.kill();
  await waitUntil(() => servedStatus(w.brokerHome!, port, 500), 60_000, `the extension to serve the broker on ${port} once the port is free`);
  return w as Window;
}

/**
 * Starts a plain HTTP server on CONTROL in a terminal, opens the Ports view, waits until VS Code
 * forwarded it and (unless another one came first: VS Code waits 5 s between them) said so.
 */
async function controlForwarded(w: Window, notified = true, control = CONTROL): Promise<void> {
  await openTerminal(w.wb.page);
  await typeInTerminal(w.wb.page, `python3 -m http.server ${control} --bind 127.0.0.1`);
  await runCommand(w.wb.page, 'Ports: Focus on Ports View');
  await waitUntil(async () => (await forwardedPorts(w.wb.page)).some((p) => p.port === control), 60_000, `VS Code to forward the control server's port ${control}`, 250)
    .catch(async (e) => {
      await runCommand(w.wb.page, 'Terminal: Focus Terminal').catch(() => undefined);
      throw new Error(`${(e as Error).message}\n--- terminal ---\n${await terminalText(w.wb.page).catch(() => '(unreadable)')}`);
    });
  if (notified) {
    await waitUntil(async () => (await notificationTexts(w.wb.page)).some((n) => new RegExp(`running on port ${control} is available`).test(n)), 30_000, `VS Code's notification for the control port ${control}`, 250);
  }
}

async function close(w: Partial<Window>, t: TestContext, name: string, failed: unknown): Promise<void> {
  if (failed && w.wb) await screenshot(w.wb.page, `${name}-failure`).catch(() => undefined);
  if (failed && w.cs) t.diagnostic(`code-server output:\n${w.cs.logs().slice(-3000)}\n--- Claude Peers log ---\n${extensionLog(w.cs.userDataDir).slice(-2000)}`);
  w.hold?.kill();
  await w.wb?.close();
  await w.cs?.stop();
}

async function notNamed(w: Window, port: number): Promise<void> {
  const shown = await notificationTexts(w.wb.page);
  assert.ok(!shown.some((n) => new RegExp(`\\bport ${port}\\b`).test(n) && /available/.test(n)), `no "available" notification names port ${port}: ${JSON.stringify(shown)}`);
}

isolatedTest('the broker on the default port 7899 is never offered for forwarding (the contributed remote.portsAttributes default)', async (t) => {
  const w: Partial<Window> = {};
  let failed: unknown;
  try {
    await open(w, 7899, { CLAUDE_PEERS_PORT_ATTRIBUTES: 'settings' });
    await controlForwarded(w as Window, false, CONTROL + 1);
    const ports = await forwardedPorts(w.wb!.page);
    t.diagnostic(`the Ports view: ${JSON.stringify(ports.map((p) => p.row))}`);
    assert.ok(!ports.some((p) => p.port === 7899), 'the broker\'s port is not forwarded');
    await notNamed(w as Window, 7899);
    assert.match(extensionLog(w.cs!.userDataDir), /\[ports\] No port attributes provider: .*kept from forwarding by the contributed default/);
    t.diagnostic(`screenshot: ${await screenshot(w.wb!.page, '60-ports-default')}`);
  } catch (e) { failed = e; throw e; } finally { await close(w, t, '60-ports-default', failed); }
});

isolatedTest('a broker on another port is never offered for forwarding where the port attributes provider works (code-server)', async (t) => {
  const w: Partial<Window> = {};
  let failed: unknown;
  try {
    await open(w, OTHER);
    await controlForwarded(w as Window, false, CONTROL + 1);
    assert.ok(!(await forwardedPorts(w.wb!.page)).some((p) => p.port === OTHER), 'the broker\'s port is not forwarded');
    await notNamed(w as Window, OTHER);
    assert.match(extensionLog(w.cs!.userDataDir), new RegExp(`\\[ports\\] Port ${OTHER} is never offered for forwarding \\(a port attributes provider\\)`));
    assert.ok(!(await notificationTexts(w.wb!.page)).some((n) => /Don't Offer Port/.test(n)), 'nothing to offer');
  } catch (e) { failed = e; throw e; } finally { await close(w, t, '60-ports-provider', failed); }
});

isolatedTest('a broker on another port without the provider: VS Code forwards it, the extension offers once to stop that, and after the click it is left alone', async (t) => {
  const w: Partial<Window> = {};
  let failed: unknown;
  try {
    await open(w, OTHER, { CLAUDE_PEERS_PORT_ATTRIBUTES: 'settings' });
    const { page } = w.wb!;
    const offer = new RegExp(`the broker listens on port ${OTHER}`);
    const text = await waitUntil(async () => (await notificationTexts(page)).find((n) => offer.test(n)), 30_000, 'the offer');
    t.diagnostic(`the offer: ${text}`);
    // The control: nothing keeps VS Code from forwarding this port yet.
    const before = await waitUntil(async () => (await forwardedPorts(page)).find((p) => p.port === OTHER), 30_000, `VS Code to forward the broker's port ${OTHER} (no entry yet)`, 250);
    t.diagnostic(`before the click: ${before.row}`);

    await clickNotificationButton(page, offer, `Don't Offer Port ${OTHER}`);
    const settingsFile = join(w.cs!.userDataDir, 'User/settings.json');
    await waitUntil(() => /"remote\.portsAttributes"/.test(readFileSync(settingsFile, 'utf8')), 20_000, 'the entry in the user settings');
    const written = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(written['remote.portsAttributes'], { [OTHER]: { label: 'Claude Peers broker', onAutoForward: 'ignore' } });
    assert.equal(written['claudePeers.port'], OTHER, 'the rest of the user settings kept');

    // The next start of the window: a new extension host serves; VS Code leaves the port alone and nobody asks again.
    const oldPid = (await servedStatus(w.brokerHome!, w.port!, 1000))!.pid;
    await runCommand(page, 'Developer: Reload Window');
    await waitUntil(async () => { const h = await servedStatus(w.brokerHome!, w.port!, 500); return h && h.pid !== oldPid && running(h.pid); }, 90_000, 'the broker to serve again after the reload', 250);
    await page.waitForSelector('.monaco-workbench .part.statusbar', { state: 'visible', timeout: 60_000 });
    // (The terminal server of before may outlive the reload on its port: another one.)
    await controlForwarded(w as Window, true, CONTROL + 1);
    const after = await forwardedPorts(page);
    t.diagnostic(`after the reload: ${JSON.stringify(after.map((p) => p.row))}`);
    // VS Code restores what was forwarded in the workspace's last session (remote.restoreForwardedPorts),
    // quietly: then it carries the label of the entry. It is not forwarded anew, nor announced.
    const broker = after.find((p) => p.port === OTHER);
    assert.ok(!broker || /^Claude Peers broker \(/.test(broker.row), `the broker's port is left alone: ${broker?.row}`);
    await notNamed(w as Window, OTHER);
    assert.ok(!(await notificationTexts(page)).some((n) => offer.test(n)), 'offered once');
    t.diagnostic(`screenshot: ${await screenshot(page, '60-ports-offer')}`);
  } catch (e) { failed = e; throw e; } finally { await close(w, t, '60-ports-offer', failed); }
});
