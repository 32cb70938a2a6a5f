// Runs every bench/*.bench.ts (through `node --import tsx`), one after another, each in its own
// process, prints their output, and writes bench/RESULTS.md and bench/latency-vs-peers.svg from
// what they measured.
//   node scripts/bench.mjs            full run (minutes); writes bench/RESULTS.md and the SVG
//   node scripts/bench.mjs --quick    short smoke run (CI); writes its report to a temp folder
//   node scripts/bench.mjs latency    only the named benchmarks (report to a temp folder)
//   node scripts/bench.mjs --out DIR  write the report to DIR
// A benchmark reports through $BENCH_RESULT_FILE (JSON: { title, notes, tables, data, skipped? });
// one that does not is shown by its output. The run fails only when a benchmark breaks (non-zero
// exit, or still running after its time limit), never because of a timing. A benchmark whose tools
// are missing (tmux, the claude CLI) reports itself skipped: said in its output, in the summary and
// in RESULTS.md (under CI=true it breaks instead: CI installs them).
import { readdirSync, readFileSync, writeFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve, basename } from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { tmpdir, cpus, availableParallelism, loadavg, totalmem, release, platform } from 'node:os';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outIdx = args.indexOf('--out');
/** A benchmark still running after this long is killed (its process group) and counts as broken. */
const LIMIT_MS = (quick ? 5 : 30) * 60_000;
const only = args.filter((a, i) => !a.startsWith('-') && args[i - 1] !== '--out');
// Only a full run of every benchmark replaces bench/RESULTS.md; partial or quick runs report elsewhere.
const outDir = outIdx >= 0 ? resolve(args[outIdx + 1]) : quick || only.length ? mkdtempSync(join(tmpdir(), 'claude-peers-bench-')) : join(root, 'bench');

if (!existsSync(join(root, 'dist/cli.js'))) {
  console.error('dist/cli.js is missing: run "npm run build" first (npm run bench does).');
  process.exit(1);
}
const files = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.bench.ts')).sort()
  .filter((f) => !only.length || only.some((o) => f.startsWith(o)));
if (!files.length) { console.error('no bench/*.bench.ts found'); process.exit(1); }

const nproc = (() => { try { return execFileSync('nproc', { encoding: 'utf8' }).trim(); } catch { return String(availableParallelism()); } })();
const machine = {
  nproc,
  cpu: cpus()[0]?.model?.trim() ?? 'unknown',
  node: process.version,
  os: `${platform()} ${release()}`,
  memGiB: (totalmem() / 2 ** 30).toFixed(1),
  date: new Date().toISOString(),
  loadBefore: loadavg().map((l) => l.toFixed(2)).join(' '),
  pressureBefore: cpuPressure(),
};
machine.calibration = await calibrate();
console.log(`claude-peers benchmarks (${quick ? 'quick' : 'full'}): ${files.join(', ')}`);
console.log(`machine: ${machine.nproc} CPUs (${machine.cpu}), node ${machine.node}, load ${machine.loadBefore}, CPU pressure ${machine.pressureBefore ?? 'n/a'}`);
console.log(`calibration: bare node:http loopback round trip p50 ${machine.calibration.p50Us} µs, ${machine.calibration.cpuUs} µs CPU per request\n`);

const scratch = mkdtempSync(join(tmpdir(), 'claude-peers-bench-results-'));
// The benchmark runs in its own process group: Ctrl-C here must reach it (its exit handlers clean up).
let stopCurrent = () => {};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopCurrent(); setTimeout(() => process.exit(130), 3000).unref(); });
const results = [];
for (const f of files) {
  const name = basename(f, '.bench.ts');
  const resultFile = join(scratch, `${name}.json`);
  console.log(`=== ${f}`);
  const t0 = Date.now();
  let output = '';
  let timedOut = false;
  const code = await new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('bench', f), ...(quick ? ['--quick'] : [])], {
      cwd: root,
      env: { ...process.env, BENCH_RESULT_FILE: resultFile, BENCH_QUICK: quick ? '1' : '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a hung run can be ended with everything it started
    });
    const kill = (sig) => { try { process.kill(-child.pid, sig); } catch { /* gone */ } };
    stopCurrent = () => kill('SIGTERM');
    const limit = setTimeout(() => {
      timedOut = true;
      console.error(`*** ${f} still runs after ${LIMIT_MS / 60_000} min: stopping it`);
      kill('SIGTERM'); // its exit handlers end the brokers, claude sessions and tmux servers it started
      setTimeout(() => kill('SIGKILL'), 10_000).unref();
    }, LIMIT_MS);
    child.stdout.on('data', (c) => { output += c; process.stdout.write(c); });
    child.stderr.on('data', (c) => { output += c; process.stderr.write(c); });
    child.on('exit', (c, sig) => { clearTimeout(limit); done(timedOut ? 124 : c ?? (sig ? 128 : 1)); });
  });
  let result = null;
  try { result = JSON.parse(readFileSync(resultFile, 'utf8')); } catch { /* the benchmark only printed */ }
  results.push({ file: f, name, code, seconds: (Date.now() - t0) / 1000, output, result, timedOut });
  console.log(`=== ${f}: ${status(results.at(-1))} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
rmSync(scratch, { recursive: true, force: true });
machine.loadAfter = loadavg().map((l) => l.toFixed(2)).join(' ');
machine.pressureAfter = cpuPressure();

mkdirSync(outDir, { recursive: true });
const svg = latencySvg(results.find((r) => r.result?.data?.latency)?.result.data.latency);
if (svg) writeFileSync(join(outDir, 'latency-vs-peers.svg'), svg);
writeFileSync(join(outDir, 'RESULTS.md'), markdown(results, Boolean(svg)));
console.log(`wrote ${join(outDir, 'RESULTS.md')}${svg ? ` and ${join(outDir, 'latency-vs-peers.svg')}` : ''}`);
const total = results.reduce((a, r) => a + r.seconds, 0);
console.log(`\nsummary (${quick ? 'quick' : 'full'} run, ${total.toFixed(0)} s of benchmarks):`);
for (const r of results) console.log(`  ${r.file.padEnd(26)} ${status(r).padEnd(40)} ${r.seconds.toFixed(1)} s`);
const skipped = results.filter((r) => r.code === 0 && r.result?.skipped);
if (skipped.length) console.error(`\n*** SKIPPED, nothing measured: ${skipped.map((r) => `${r.file} (${r.result.skipped})`).join('; ')} ***`);
const failed = results.filter((r) => r.code !== 0);
if (failed.length) {
  console.error(`benchmarks that broke: ${failed.map((r) => r.file).join(', ')}`);
  process.exit(1);
}

function status(r) {
  if (r.timedOut) return `FAILED (still running after ${LIMIT_MS / 60_000} min)`;
  if (r.code !== 0) return `FAILED (exit ${r.code})`;
  return r.result?.skipped ? `SKIPPED (${r.result.skipped})` : 'ok';
}

/** A bare node:http round trip on this machine now, to read the other numbers against. */
async function calibrate() {
  const http = await import('node:http');
  const { performance } = await import('node:perf_hooks');
  const srv = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('{"ok":true}')); });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const agent = new http.Agent({ keepAlive: true });
  const once = () => new Promise((r) => {
    const q = http.request({ host: '127.0.0.1', port: srv.address().port, agent, method: 'POST', path: '/', headers: { 'Content-Type': 'application/json' } }, (res) => { res.resume(); res.on('end', r); });
    q.end('{"a":1}');
  });
  for (let i = 0; i < 300; i++) await once();
  const times = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < 2000; i++) { const t0 = performance.now(); await once(); times.push(performance.now() - t0); }
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  srv.close();
  times.sort((a, b) => a - b);
  return { p50Us: Math.round(times[1000] * 1000), p99Us: Math.round(times[1980] * 1000), cpuUs: Math.round((cpu.user + cpu.system) / 2000) };
}

/** Linux PSI: the share of time runnable tasks waited for a CPU (others' work competing with ours). */
function cpuPressure() {
  try {
    const m = /some avg10=([\d.]+) avg60=([\d.]+) avg300=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? `${m[1]} / ${m[2]} / ${m[3]}` : null;
  } catch { return null; }
}

function table(t) {
  const esc = (v) => String(v).replace(/\|/g, '\\|');
  return [`**${t.caption}**`, '', `| ${t.columns.map(esc).join(' | ')} |`, `|${t.columns.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`), ''].join('\n');
}

function markdown(rs, withSvg) {
  const out = [
    '# claude-peers benchmarks',
    '',
    `Generated by \`scripts/bench.mjs\` (${quick ? 'quick run' : 'full run'}) on ${machine.date}.`,
    '',
    '| machine | |',
    '|---|---|',
    `| CPUs (\`nproc\`) | ${machine.nproc} |`,
    `| CPU model | ${machine.cpu} |`,
    `| memory | ${machine.memGiB} GiB |`,
    `| OS | ${machine.os} |`,
    `| node | ${machine.node} |`,
    `| load average (1/5/15 min) before → after | ${machine.loadBefore} → ${machine.loadAfter} |`,
    `| CPU pressure (PSI "some", avg10/avg60/avg300 %) before → after | ${machine.pressureBefore ?? 'n/a'} → ${machine.pressureAfter ?? 'n/a'} |`,
    `| calibration: bare \`node:http\` loopback round trip (one process, keep-alive) | p50 ${machine.calibration.p50Us} µs, p99 ${machine.calibration.p99Us} µs, ${machine.calibration.cpuUs} µs CPU per request |`,
    '',
    'Commands: `npm run bench` (builds, then `node scripts/bench.mjs`; full) and `npm run bench -- --quick`',
    '(smoke run for CI). One benchmark: `npm run build && node scripts/bench.mjs latency` (reports to a temp folder).',
    '',
    'Every benchmark starts a real broker process (`claude-peers broker`, rate limits off:',
    '`CLAUDE_PEERS_RATE_MESSAGES_PER_MIN=0`, `CLAUDE_PEERS_RATE_REQUESTS_PER_MIN=0`) on a loopback port with a',
    'temporary `CLAUDE_PEERS_HOME`, and real `claude-peers mcp` processes driven over stdio by the MCP SDK\'s',
    'Client, as Claude Code drives them; the stand-in claude reads their channel pushes with one `JSON.parse` per',
    'line (as lean as Claude Code\'s reader; the SDK\'s zod validation of every line cost more CPU than the',
    'broker, on the same cores). The poll baseline is measured in the same run, on the same broker.',
    'The tool-call and wake benchmarks run the real Claude Code CLI (node_modules/.bin/claude) against a fake of the',
    'Anthropic Messages API on loopback (test/support/fake-anthropic.ts): `claude -p` sessions for the cost per tool',
    'call (beside plain claude), interactive sessions in tmux for the wake-up of an idle session (beside a typed',
    'prompt). Each benchmark\'s baseline is measured in the same run, next to it in its table.',
    'The federation benchmark adds a real `nats-server -js` on loopback (skipped, not failed, where it is not installed) and',
    'measures delivery across two brokers beside local delivery in the same run.',
    'Numbers are wall-clock on this machine, with whatever else it was running (see the load average).',
    '',
  ];
  for (const r of rs) {
    out.push(`## ${r.result?.title ?? r.name} (\`bench/${r.file}\`)`, '');
    if (r.code !== 0) out.push(`**This benchmark broke (${r.timedOut ? `still running after ${LIMIT_MS / 60_000} min` : `exit ${r.code}`}).**`, '');
    if (r.code === 0 && r.result?.skipped) out.push(`**Skipped: ${r.result.skipped}; nothing was measured.**`, '');
    if (r.result?.skipped) {
      // nothing more to show
    } else if (r.result?.tables?.length) {
      for (const t of r.result.tables) out.push(table(t));
      for (const n of r.result.notes ?? []) out.push(`- ${n}`);
      if (r.result.notes?.length) out.push('');
      if (r.name === 'latency' && withSvg) out.push('![send → channel latency vs peers](latency-vs-peers.svg)', '');
    } else {
      out.push('```', r.output.trim().split('\n').slice(-60).join('\n'), '```', '');
    }
    out.push(`_${r.seconds.toFixed(1)} s_`, '');
  }
  return out.join('\n');
}

/** A small log-scale line plot: push and poll latency percentiles against the number of peers. */
function latencySvg(rows) {
  if (!rows?.length) return null;
  const W = 680, H = 400, L = 70, R = 190, T = 40, B = 50;
  const series = [
    { label: 'push p50, send_message', color: '#1f77b4', dash: '', get: (r) => r.tool.p50 },
    { label: 'push p99, send_message', color: '#1f77b4', dash: '6 4', get: (r) => r.tool.p99 },
    { label: 'push p50, POST', color: '#2ca02c', dash: '', get: (r) => r.http.p50 },
    { label: 'push p99, POST', color: '#2ca02c', dash: '6 4', get: (r) => r.http.p99 },
    { label: 'poll 1 s p50', color: '#d62728', dash: '', get: (r) => r.poll.p50 },
    { label: 'poll 1 s p99', color: '#d62728', dash: '6 4', get: (r) => r.poll.p99 },
  ];
  const values = rows.flatMap((r) => series.map((s) => s.get(r))).filter((v) => v > 0);
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...values, 1000)));
  const xs = rows.map((r) => r.peers);
  const xMin = Math.log10(Math.min(...xs)), xMax = Math.log10(Math.max(...xs));
  const x = (p) => L + (xMax === xMin ? 0.5 : (Math.log10(p) - xMin) / (xMax - xMin)) * (W - L - R);
  const y = (v) => T + (1 - (Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * (H - T - B);
  const f = (n) => n.toFixed(1);
  const el = [];
  el.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  el.push(`<text x="${W / 2 - R / 2 + L / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">send → channel notification latency vs peers</text>`);
  for (let d = yMin; d <= yMax; d *= 10) {
    el.push(`<line x1="${L}" x2="${W - R}" y1="${f(y(d))}" y2="${f(y(d))}" stroke="#ddd"/>`);
    el.push(`<text x="${L - 6}" y="${f(y(d) + 4)}" text-anchor="end" font-size="11">${d >= 1 ? d : d.toFixed(-Math.log10(d))} ms</text>`);
  }
  for (const p of xs) {
    el.push(`<line x1="${f(x(p))}" x2="${f(x(p))}" y1="${T}" y2="${H - B}" stroke="#eee"/>`);
    el.push(`<text x="${f(x(p))}" y="${H - B + 16}" text-anchor="middle" font-size="11">${p}</text>`);
  }
  for (const [v, label] of [[2, 'target p50 2 ms'], [10, 'target p99 10 ms']]) {
    el.push(`<line x1="${L}" x2="${W - R}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#999" stroke-dasharray="2 3"/>`);
    el.push(`<text x="${W - R - 4}" y="${f(y(v) - 3)}" text-anchor="end" font-size="10" fill="#777">${label}</text>`);
  }
  el.push(`<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/>`);
  el.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle" font-size="12">live peers (MCP servers)</text>`);
  el.push(`<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle" font-size="12">latency (log scale)</text>`);
  series.forEach((s, i) => {
    const pts = rows.map((r) => `${f(x(r.peers))},${f(y(s.get(r)))}`).join(' ');
    el.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    for (const r of rows) el.push(`<circle cx="${f(x(r.peers))}" cy="${f(y(s.get(r)))}" r="3" fill="${s.color}"/>`);
    const ly = T + 10 + i * 20;
    el.push(`<line x1="${W - R + 12}" x2="${W - R + 40}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    el.push(`<text x="${W - R + 46}" y="${ly + 4}" font-size="11">${s.label}</text>`);
  });
  el.push(`<text x="${W - R + 12}" y="${H - B}" font-size="10" fill="#666">${machine.nproc} CPUs, node ${machine.node}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n${el.join('\n')}\n</svg>\n`;
}
