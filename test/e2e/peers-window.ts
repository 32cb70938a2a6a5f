// A code-server window with the extension serving the broker on a free port, and real MCP peers
// (`claude-peers mcp` driven by the MCP SDK) instead of a real `claude`: what the panel tests start
// from. It leaves a screenshot, code-server's output, the browser console and each peer's stderr
// when the test fails, and closes everything however it ends.
import type { TestContext } from 'node:test';
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { startCodeServer, type CodeServer } from './code-server.ts';
import { freePort, waitUntil } from './waits.ts';
import { openWorkbench, screenshot, type Workbench } from './workbench.ts';
import { extensionUnderTest, servedStatus, userClient } from './world.ts';
import { startMcpPeer, tempHome, type McpPeer } from '../support/processes.ts';
import type { BrokerClient } from '../../src/client/broker-client.ts';

export interface PeersWindow {
  /** The workspace folder: a fresh git repository. */
  folder: string;
  brokerHome: string;
  port: number;
  cs: CodeServer;
  page: Page;
  /** The user's client of the window's broker. */
  client: BrokerClient;
  /** A new MCP peer in the workspace folder, closed with the window. */
  addPeer(): Promise<McpPeer>;
}

export interface PeersWindowOptions {
  /** User settings beside the port. */
  settings?: Record<string, unknown>;
  /** Runs on the folder before the window opens (files the workbench should find there). */
  prepare?: (folder: string) => void;
}

/** Runs `body` in such a window; `name` names the failure screenshot. */
export async function inPeersWindow(t: TestContext, name: string, opts: PeersWindowOptions, body: (w: PeersWindow) => Promise<void>): Promise<void> {
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;
  const peers: McpPeer[] = [];
  try {
    const folder = realpathSync(tempHome('cp-e2e-ws-'));
    spawnSync('git', ['init', '-q', '-b', 'main', folder]);
    opts.prepare?.(folder);
    const brokerHome = tempHome('cp-e2e-peers-');
    const port = await freePort();
    cs = await startCodeServer({
      folder,
      ...extensionUnderTest(),
      settings: { 'claudePeers.port': port, ...opts.settings },
      env: { CLAUDE_PEERS_HOME: brokerHome },
    });
    wb = await openWorkbench(cs.url);
    await waitUntil(() => servedStatus(brokerHome, port, 500), 60_000, 'the extension to start the broker');
    const addPeer = async () => {
      const p = await startMcpPeer(brokerHome, port, { cwd: folder });
      peers.push(p);
      return p;
    };
    await body({ folder, brokerHome, port, cs, page: wb.page, client: userClient(brokerHome, port), addPeer });
  } catch (e) {
    if (wb) await screenshot(wb.page, `${name}-failure`).catch(() => undefined);
    if (cs) t.diagnostic(`code-server output:\n${cs.logs().slice(-3000)}`);
    if (wb) t.diagnostic(`browser console:\n${wb.consoleLogs().slice(-30).join('\n')}`);
    for (const p of peers) t.diagnostic(`peer stderr:\n${p.stderr().slice(-1500)}`);
    throw e;
  } finally {
    await Promise.allSettled(peers.map((p) => p.close()));
    await wb?.close();
    await cs?.stop();
  }
}
