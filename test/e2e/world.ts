// What the extension e2e tests share: the extension under test (the built VSIX when there is one,
// else the source tree in development mode) and a world where `claude` in a code-server terminal
// is the real Claude Code CLI talking to the fake model, with a private broker home.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO } from './tools.ts';
import { toolset } from './toolsets.ts';
import { scratchHome, projectDir, API_KEY } from '../support/claude-cli.ts';
import { tempHome } from '../support/processes.ts';
import { BrokerClient } from '../../src/client/broker-client.ts';
import type { BrokerStatus } from '../../src/protocol/wire.ts';

/** The newest claude-peers-*.vsix for linux-x64 in the repo root, when `npm run package` made one. */
export function builtVsix(): string | null {
  const found = readdirSync(REPO)
    .filter((f) => /^claude-peers-.*\.vsix$/.test(f))
    .map((f) => join(REPO, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return found.find((f) => f.includes('linux-x64')) ?? found[0] ?? null;
}

export function extensionUnderTest(): { vsixPath: string } | { extensionDevelopmentPath: string } {
  if (process.env.E2E_DEV_EXTENSION !== '1') {
    const vsix = builtVsix();
    if (vsix) return { vsixPath: vsix };
    if (process.env.CI === 'true') throw new Error('no VSIX found: CI runs e2e against the packaged extension (npm run package)');
  }
  return { extensionDevelopmentPath: REPO };
}

export interface ClaudeTerminalWorld {
  folder: string;
  claudeHome: string;
  brokerHome: string;
  binDir: string;
  env(fakeUrl: string): NodeJS.ProcessEnv;
  /** User settings: the terminal's PATH (a login shell's /etc/profile resets the inherited one). */
  settings(): Record<string, unknown>;
}

export function claudeTerminalWorld(): ClaudeTerminalWorld {
  const folder = projectDir('cp-e2e-ws-');
  spawnSync('git', ['init', '-q', '-b', 'main', folder]);
  const claudeHome = scratchHome([folder]);
  const brokerHome = tempHome('cp-e2e-peers-');
  // Only `claude` from node_modules/.bin goes on PATH, not every dev tool.
  const binDir = tempHome('cp-e2e-bin-');
  mkdirSync(binDir, { recursive: true });
  const claude = join(REPO, 'node_modules/.bin/claude');
  if (!existsSync(claude)) throw new Error('node_modules/.bin/claude is missing: run npm ci');
  symlinkSync(claude, join(binDir, 'claude'));
  return {
    folder, claudeHome, brokerHome, binDir,
    settings: () => ({ 'terminal.integrated.env.linux': { PATH: `${toolset().nodeBin}:${binDir}:\${env:PATH}` } }),
    env: (fakeUrl) => ({
      HOME: claudeHome,
      CLAUDE_PEERS_HOME: brokerHome,
      ANTHROPIC_BASE_URL: fakeUrl,
      ANTHROPIC_API_KEY: API_KEY,
      DISABLE_TELEMETRY: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      // The toolset's Node first (code-server runs on it); claude comes right after it.
      PATH: `${toolset().nodeBin}:${binDir}:${process.env.PATH}`,
    }),
  };
}

function secretIn(brokerHome: string, name: string): string | null {
  try { return readFileSync(join(brokerHome, name), 'utf8').trim() || null; } catch { return null; }
}

/** The user's client of the broker whose home is `brokerHome` (token and proof key as written there now). */
export function userClient(brokerHome: string, port: number, timeoutMs = 5000): BrokerClient {
  return new BrokerClient({ port, credential: secretIn(brokerHome, 'token'), proofKey: secretIn(brokerHome, 'join-token'), timeoutMs });
}

/**
 * /v1/status of the broker on `port` as its user sees it (pid, driver...), or null while ours does
 * not answer there yet (not started, secrets not written, another process on the port).
 */
export async function servedStatus(brokerHome: string, port: number, timeoutMs = 1000): Promise<BrokerStatus | null> {
  try { return await userClient(brokerHome, port, timeoutMs).get<BrokerStatus>('/status'); } catch { return null; }
}
