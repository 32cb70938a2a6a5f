// What claude-peers adds to every tool call of a real Claude Code session (the CLI in
// node_modules, 2.1.328), driven by the fake Messages API on loopback: a `claude -p` session whose
// model asks for N Read calls in a row, one per turn, then answers DONE.
//
// Six setups, in the same run, against the same broker:
//   none     plain `claude -p`, no MCP server, no hooks (the baseline);
//   mcp      our MCP server alone (setup-claude's MCP config, no hooks): what of the rest is the
//            server's presence rather than the hooks';
//   http     through `claude-peers claude`: our MCP server, and the per-tool-call hooks as HTTP
//            hooks on the broker the launcher verified (what VS Code terminals and the launcher do);
//   command  the setup `claude-peers setup-claude --json` prints (MCP server + command hooks: a
//            `node dist/hook.js` process per hook), as a terminal outside VS Code would have it;
//   down     through `claude-peers claude`, with the broker killed at the session's first model
//            request (HTTP hooks on a port where nothing listens any more);
//   nullhttp our MCP server and one HTTP PostToolUse hook, shaped like ours, on a server that
//            answers {} at once: Claude Code's own cost of an HTTP hook, to tell it from the broker's.
// A Read triggers one hook of ours (PostToolUse, matcher "*"; PreToolUse only matches edits and
// Bash), so "per tool call" is per hook here.
//
// Start-up is not what this measures: Claude Code's own start (~1 s), our MCP server's and the
// SessionStart hook's, the first request. Each repetition runs a session of N calls and one of 0
// calls with the same setup, back to back; (time N − time 0) ÷ N is what one tool call costs in a
// session that is already running. The setups take turns within each repetition (rotated order),
// so a noisy neighbour hits them alike; the table shows medians over the repetitions, and the
// extra cost of a setup is the median of its per-repetition difference to `none`.
// A second estimate, robust to a neighbour's burst: the fake model notes when each main-loop
// request arrives; in the N-call session the gap between two is one whole tool call (answer
// streamed, tool run, hooks, next request), and the median of those N gaps is taken.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { QUICK, ms, now, report, run, skipUnless, sleep, stats } from './lib.ts';
import { CLAUDE_BIN, claudeEnv, runClaude, runLaunched, startWorld, type ClaudeWorld, type RunResult, type World } from '../test/support/claude-cli.ts';
import { calledTools, isMainLoop, text, toolUse, type Script } from '../test/support/fake-anthropic.ts';
import { CLI, spawnBroker, tempHome, type BrokerProc } from '../test/support/processes.ts';

const N = QUICK ? 5 : 20;
const REPS = QUICK ? 1 : 7;
const MODES = ['none', 'mcp', 'nullhttp', 'http', 'command', 'down'] as const;
type Mode = typeof MODES[number];
const TARGET_MS = 15;

/** The model: N Read calls of the same file, one per turn, then DONE. Side requests get a short answer. */
function script(file: string, n: number, onFirst?: () => Promise<void>): { script: Script; calls: () => number; gaps: () => number[] } {
  let started = false;
  let calls = 0;
  const at: number[] = [];
  return {
    calls: () => calls,
    gaps: () => at.slice(1).map((t, i) => t - at[i]),
    script: async (r) => {
      if (!isMainLoop(r.body)) return [text('side request')];
      at.push(now());
      if (!started) { started = true; await onFirst?.(); }
      calls = calledTools(r.body).length;
      return calls < n ? [toolUse('Read', { file_path: file })] : [text('DONE')];
    },
  };
}

run(async () => {
  if (!skipUnless('tool-call', 'Cost per tool call with the real Claude Code CLI', [['claude', () => spawnSync(CLAUDE_BIN, ['--version'], { encoding: 'utf8', timeout: 30_000 }).stdout?.includes('Claude Code') ?? false]])) return;
  const w: World = await startWorld({});
  const file = join(w.cwd, 'README.md');
  writeFileSync(file, '# a project\n\nSome text for the Read tool to return.\n');
  const env = () => { const e = claudeEnv(w); delete e.IS_SANDBOX; return e; }; // default permission mode everywhere
  const userArgs = ['--allowedTools', 'Read'];

  // The command-hook setup, exactly as `claude-peers setup-claude --json` prints it for this home.
  const setup = spawnSync(process.execPath, [CLI, 'setup-claude', '--json'], { encoding: 'utf8', env: { ...process.env, CLAUDE_PEERS_HOME: w.brokerHome, CLAUDE_PEERS_PORT: String(w.brokerPort) } });
  if (setup.status !== 0) throw new Error(`setup-claude --json failed: ${setup.stderr}`);
  const printed = JSON.parse(setup.stdout) as { mcpConfig: unknown; settings: { hooks: Record<string, unknown> } };
  const mcpPath = join(w.home, 'setup-mcp.json');
  const settingsPath = join(w.home, 'setup-settings.json');
  writeFileSync(mcpPath, JSON.stringify(printed.mcpConfig));
  writeFileSync(settingsPath, JSON.stringify(printed.settings));

  // Claude Code's own share of an HTTP hook: a server that reads the hook's body and answers {}.
  const nullServer = createServer((req, res) => { req.resume(); req.on('end', () => { res.setHeader('Content-Type', 'application/json'); res.end('{}'); }); });
  await new Promise<void>((r) => nullServer.listen(0, '127.0.0.1', r));
  const nullPort = (nullServer.address() as AddressInfo).port;
  const nullSettingsPath = join(w.home, 'null-http-settings.json');
  writeFileSync(nullSettingsPath, JSON.stringify({ hooks: { PostToolUse: [{ matcher: '*', hooks: [{
    type: 'http', url: `http://127.0.0.1:${nullPort}/v1/hooks/PostToolUse`, headers: { Authorization: 'Bearer $NULL_HOOK_KEY' }, allowedEnvVars: ['NULL_HOOK_KEY'], timeout: 5,
  }] }] } }));

  // The launcher writes settings-command.json only when the broker did not prove itself in time
  // (it falls back to command hooks): a launch that did so is not an HTTP-hook sample.
  const fallback = join(w.brokerHome, 'launch', 'session', 'settings-command.json');
  // `down` gets a broker of its own on another home, killed under each session.
  const downHome = tempHome('cp-bench-down-');
  const downWorld = (b: BrokerProc): ClaudeWorld => ({ ...w, brokerHome: downHome, brokerPort: b.port });

  async function once(mode: Mode, n: number): Promise<RunResult & { gap: number }> {
    let down: BrokerProc | null = null;
    if (mode === 'down') down = await spawnBroker(downHome);
    const s = script(file, n, down ? () => down!.kill() : undefined);
    w.fake.setScript(s.script);
    rmSync(fallback, { force: true });
    const r = mode === 'none' ? await runClaude(['-p', 'Read it.', ...userArgs, '--strict-mcp-config'], { env: env(), cwd: w.cwd })
      : mode === 'mcp' ? await runClaude(['-p', 'Read it.', ...userArgs, '--mcp-config', mcpPath, '--strict-mcp-config'], { env: env(), cwd: w.cwd })
      : mode === 'nullhttp' ? await runClaude(['-p', 'Read it.', ...userArgs, '--mcp-config', mcpPath, '--strict-mcp-config', '--settings', nullSettingsPath], { env: { ...env(), NULL_HOOK_KEY: 'k' }, cwd: w.cwd })
      : mode === 'command' ? await runClaude(['-p', 'Read it.', ...userArgs, '--mcp-config', mcpPath, '--strict-mcp-config', '--settings', settingsPath], { env: env(), cwd: w.cwd })
      : await runLaunched(mode === 'down' ? downWorld(down!) : w, 'Read it.', { args: userArgs });
    await down?.kill();
    const what = `${mode}, ${n} calls`;
    if (r.code !== 0 || !/DONE/.test(r.stdout)) throw new Error(`the session (${what}) failed: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    if (s.calls() !== n) throw new Error(`the session (${what}) made ${s.calls()} tool calls`);
    if (mode === 'http' && existsSync(fallback)) throw new Error(`the launcher fell back to command hooks (${what}): the broker did not prove itself within 800 ms`);
    return { ...r, gap: stats(s.gaps()).p50 };
  }
  /** One sample; a session that broke under load is run again once (said loudly), a second failure breaks the benchmark. */
  async function sample(mode: Mode, n: number): Promise<{ ms: number; gap: number }> {
    try { return await once(mode, n); } catch (e) {
      console.error(`*** retrying once: ${(e as Error).message.split('\n')[0]}`);
      await sleep(1000);
      return await once(mode, n);
    }
  }

  await sample('none', 1); // warm the disk cache and Claude Code's first-run files; not counted
  await sample('http', 1);
  const perMode = <T>(make: () => T) => Object.fromEntries(MODES.map((m) => [m, make()])) as Record<Mode, T>;
  const perCall = perMode<number[]>(() => []);
  const gap = perMode<number[]>(() => []);
  const sessions = perMode(() => ({ n: [] as number[], zero: [] as number[] }));
  for (let rep = 0; rep < REPS; rep++) {
    const order = MODES.map((_, i) => MODES[(i + rep) % MODES.length]);
    for (const mode of order) {
      // Alternate which of the pair runs first, too.
      let zero: number, full: { ms: number; gap: number };
      if (rep % 2) { zero = (await sample(mode, 0)).ms; full = await sample(mode, N); } else { full = await sample(mode, N); zero = (await sample(mode, 0)).ms; }
      sessions[mode].zero.push(zero);
      sessions[mode].n.push(full.ms);
      perCall[mode].push((full.ms - zero) / N);
      gap[mode].push(full.gap);
    }
    console.log(`  repetition ${rep + 1}/${REPS}, per tool call: ${MODES.map((m) => `${m} ${ms(perCall[m][rep])} ms (gap ${ms(gap[m][rep])})`).join(', ')}`);
  }
  await w.close();
  nullServer.close();

  const median = (xs: number[]) => stats(xs).p50;
  const extra = (m: Mode, of = perCall) => of[m].map((v, i) => v - of.none[i]);
  const range = (xs: number[]) => `${ms(Math.min(...xs))} … ${ms(Math.max(...xs))}`;
  const label: Record<Mode, string> = {
    none: 'none (plain claude, no claude-peers)',
    mcp: 'our MCP server only, no hooks (for attribution)',
    nullhttp: 'MCP server + an HTTP hook answering {} at once (Claude Code\'s share)',
    http: 'HTTP hooks (claude-peers claude)',
    command: 'command hooks (setup-claude)',
    down: 'HTTP hooks, broker down',
  };
  const sec = (v: number) => (v / 1000).toFixed(2);
  const rows = MODES.map((m) => [label[m], sec(median(sessions[m].zero)), sec(median(sessions[m].n)), ms(median(perCall[m])),
    m === 'none' ? '—' : ms(median(extra(m))), m === 'none' ? '—' : range(extra(m)),
    ms(median(gap[m])), m === 'none' ? '—' : ms(median(extra(m, gap)))]);
  const h = median(extra('http'));
  const ccShare = median(extra('nullhttp', perCall).map((v, i) => v - extra('mcp')[i]));
  const ourShare = median(perCall.http.map((v, i) => v - perCall.nullhttp[i]));
  report({
    name: 'tool-call',
    title: 'Cost per tool call with the real Claude Code CLI',
    notes: [
      `Claude Code ${spawnSync(CLAUDE_BIN, ['--version'], { encoding: 'utf8' }).stdout.trim()} in \`-p\` mode, default permission mode with \`--allowedTools Read\`, against the fake Messages API (test/support/fake-anthropic.ts) on loopback; every model turn asks for one Read of a small file.`,
      `Per tool call = (session of ${N} Read calls − session of 0 calls) ÷ ${N}: start-up (Claude Code's, our MCP server's, the SessionStart hook's) and the final turn cancel out. ${REPS} repetition${REPS > 1 ? 's' : ''}; the setups take turns within each (rotated order), the pair's order alternates; medians shown, and the extra cost is the median of each repetition's difference to "none" (range beside it).`,
      'A Read fires one hook of ours: PostToolUse (matcher "*"); PreToolUse matches only edits and Bash. http: through `claude-peers claude` (the launcher verified the broker; a launch that fell back to command hooks would break the run). command: the MCP server and hooks `claude-peers setup-claude --json` prints (a `node dist/hook.js` process per hook). down: launched, then the broker is killed at the session\'s first model request. mcp: the MCP server alone (no hooks), to tell its presence from the hooks\' cost. nullhttp: the MCP server and one HTTP PostToolUse hook of the same shape on a server in this process that answers {} at once: what Claude Code itself spends on an HTTP hook; http − nullhttp is the broker\'s share.',
      `Gap: the median time between two main-loop requests at the fake model in the ${N}-call session (one whole tool call each; a neighbour's burst moves a few gaps, not the median), median over the repetitions; its extra is the median of per-repetition differences to "none".`,
      `The broker runs with its default limits; the session times include Claude Code's own work per turn (the fake model answers at once). Target: HTTP hooks ≤ ${TARGET_MS} ms per tool call (median this run: ${ms(h)} ms, ${h <= TARGET_MS ? 'met' : 'not met'}). Of that, an HTTP hook that does nothing costs Claude Code ${ms(ccShare)} ms beyond the MCP server alone (median of nullhttp − mcp), and ours costs ${ms(ourShare)} ms more than that one (median of http − nullhttp).`,
    ],
    tables: [{
      caption: `extra time per tool call against plain claude (ms; ${N} Read calls per session)`,
      columns: ['setup', 'session of 0 calls, median s', `session of ${N} calls, median s`, `per tool call ((${N} − 0) ÷ ${N}), median`, 'extra per tool call vs none, median', 'extra, range over repetitions',
        'gap between model requests, median', 'extra gap vs none, median'],
      rows,
    }],
    data: { toolCall: { n: N, reps: REPS, perCall, gap, sessions, claudeCodeHttpHookMs: ccShare, brokerShareMs: ourShare } },
  });
});
