// `npm start`: the main job for a newcomer. With VS Code's `code` command on PATH it packages the
// extension and installs the VSIX; without it, it runs the standalone broker in the foreground
// and prints how to put Claude Code sessions on the network.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
const has = (cmd) => spawnSync(process.platform === 'win32' ? 'where' : 'which', [cmd], { stdio: 'ignore' }).status === 0;

run('npm', ['run', 'build']);
const editor = ['code', 'code-insiders', 'codium'].find(has);
if (editor && !process.argv.includes('--standalone')) {
  run('npm', ['run', 'package']);
  // The build for this platform when there is one (it carries the matching native SQLite addon).
  const all = readdirSync('.').filter((f) => /^claude-peers-.*\.vsix$/.test(f)).sort();
  // Alpine (musl) has VSIXs of its own: the glibc build does not load there.
  const musl = process.platform === 'linux' && !process.report?.getReport?.().header?.glibcVersionRuntime;
  const target = `${musl ? 'alpine' : process.platform}-${process.arch}`;
  const vsix = all.find((f) => f.includes(target)) ?? all.find((f) => f === `claude-peers-${process.env.npm_package_version}.vsix`) ?? all.pop();
  if (!vsix || !existsSync(vsix)) { console.error('packaging produced no .vsix'); process.exit(1); }
  run(editor, ['--install-extension', vsix, '--force']);
  console.log(`\nInstalled ${vsix} into ${editor}. Reload VS Code, open a terminal and run "claude": the session joins the Claude Peers panel.`);
} else {
  run(process.execPath, ['dist/cli.js', 'setup-claude']);
  console.log('\nNo VS Code found (or --standalone): running the standalone broker. Ctrl-C stops it.\n');
  const child = spawn(process.execPath, ['dist/cli.js', 'broker'], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
