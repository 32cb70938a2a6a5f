// A code-server window whose integrated terminals run the real Claude Code CLI against a scripted
// fake model, with the extension serving the broker on a free port of its own: what every e2e test
// with a real `claude` starts from. It leaves a screenshot and code-server's output when the test
// fails, and closes everything however it ends.
import type { TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { startCodeServer, type CodeServer, type CodeServerOptions } from './code-server.ts';
import { extensionLog, extensionReady } from './desktop-support.ts';
import { freePort, waitUntil } from './waits.ts';
import { openWorkbench, screenshot, type Workbench } from './workbench.ts';
import { claudeTerminalWorld, extensionUnderTest, servedStatus, userClient, type ClaudeTerminalWorld } from './world.ts';
import { startFakeAnthropic, type FakeAnthropic, type Script } from '../support/fake-anthropic.ts';
import type { BrokerClient } from '../../src/client/broker-client.ts';
import type { BrokerStatus } from '../../src/protocol/wire.ts';

export interface ClaudeWindow {
  world: ClaudeTerminalWorld;
  fake: FakeAnthropic;
  cs: CodeServer;
  page: Page;
  port: number;
  /** The user's client of the window's broker. */
  client: BrokerClient;
  /** /v1/status of that broker once it served. */
  status: BrokerStatus;
}

export interface ClaudeWindowOptions {
  /** The fake model's answers, scripted for this window's world (its folder, for one). */
  model: (world: ClaudeTerminalWorld) => Script;
  /** User settings beside the world's PATH and the port. */
  settings?: Record<string, unknown>;
  /** Which code-server, and which extension (the built VSIX, or the source tree, by default). */
  codeServer?: Partial<Pick<CodeServerOptions, 'toolset' | 'vsixPath' | 'extensionDevelopmentPath'>>;
  /** The terminal's PATH instead of the world's (another toolset's Node first, for one). */
  terminalPath?: (world: ClaudeTerminalWorld) => string;
}

/** Runs `body` in such a window; `name` names the failure screenshot. */
export async function inClaudeWindow(t: TestContext, name: string, opts: ClaudeWindowOptions, body: (w: ClaudeWindow) => Promise<void>): Promise<void> {
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;
  let fake: FakeAnthropic | undefined;
  try {
    const world = claudeTerminalWorld();
    fake = await startFakeAnthropic(opts.model(world));
    const port = await freePort();
    const path = opts.terminalPath?.(world);
    cs = await startCodeServer({
      folder: world.folder,
      ...(opts.codeServer?.vsixPath || opts.codeServer?.extensionDevelopmentPath ? {} : extensionUnderTest()),
      ...opts.codeServer,
      settings: {
        ...(path ? { 'terminal.integrated.env.linux': { PATH: `${path}:\${env:PATH}` } } : world.settings()),
        'claudePeers.port': port,
        ...opts.settings,
      },
      env: { ...world.env(fake.url), ...(path ? { PATH: `${path}:${process.env.PATH}` } : {}) },
    });
    wb = await openWorkbench(cs.url);
    const status = await waitUntil(() => servedStatus(world.brokerHome, port, 500), 60_000, 'the extension to serve the broker');
    await extensionReady(cs.userDataDir, 30_000);
    await body({ world, fake, cs, page: wb.page, port, client: userClient(world.brokerHome, port), status });
  } catch (e) {
    if (wb) await screenshot(wb.page, `${name}-failure`).catch(() => undefined);
    if (cs) t.diagnostic(`code-server output:\n${cs.logs().slice(-3000)}\n--- Claude Peers log ---\n${extensionLog(cs.userDataDir).slice(-3000)}`);
    throw e;
  } finally {
    // Each one closed whatever the others do: a fake model left listening keeps the test process alive.
    await Promise.allSettled([wb?.close(), fake?.close()]);
    await cs?.stop();
  }
}
