// Windows, checked here where it cannot run: how the shim finds the real claude (";" PATH, quoted
// entries, PATHEXT), the batch files it writes (CRLF, `%`, quotes, paths with spaces and letters
// outside ASCII), how it hands arguments to a real claude that is a batch file, and liveness
// without /proc. cmd.exe's parsing is modelled from its documented rules: a caret escapes the next
// character outside quotes, a quote toggles quoting, `& | < >` outside quotes end the command; a
// batch file that passes %* on puts that text through the same parsing again; the program then
// splits its command line by the MSVC rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import escape from 'cross-spawn/lib/util/escape.js';
import { findRealClaude, installShim, windowsShimScripts } from '../../src/client/claude-launch.ts';
import { windowsCommand } from '../../src/client/windows-command.ts';
import { isAlive, parentOf, processStart } from '../../src/common/process.ts';
import { tempHome } from '../support/processes.ts';

/** cmd.exe's second phase: carets and quotes; a bare `& | < >` is another command. */
function cmdPhase(line: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') { quoted = !quoted; out += c; continue; }
    if (!quoted && c === '^') { out += line[++i] ?? ''; continue; }
    if (!quoted && '&|<>'.includes(c)) throw new Error(`cmd.exe would end the command at "${c}" in: ${line}`);
    out += c;
  }
  return out;
}

/** How a program built with the MSVC runtime (node, claude.exe) splits its command line. */
function msvcArgv(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i >= s.length) return out;
    let cur = '';
    let quoted = false;
    while (i < s.length && (quoted || (s[i] !== ' ' && s[i] !== '\t'))) {
      if (s[i] === '\\') {
        let n = 0;
        while (s[i] === '\\') { n++; i++; }
        if (s[i] === '"') { cur += '\\'.repeat(n >> 1); if (n % 2) { cur += '"'; i++; } } else cur += '\\'.repeat(n);
        continue;
      }
      if (s[i] === '"') {
        if (quoted && s[i + 1] === '"') { cur += '"'; i += 2; continue; }
        quoted = !quoted; i++; continue;
      }
      cur += s[i++];
    }
    out.push(cur);
  }
}

/**
 * The argv that node receives when `cmd /d /s /c "<line>"` runs a batch file `file` whose own line
 * is `node cli.js %*` (npm's global shims are).
 */
function throughBatchFile(file: string, args: string[]): string[] {
  const last = args[3];
  assert.deepEqual(args.slice(0, 3), ['/d', '/s', '/c']);
  assert.ok(last.startsWith('"') && last.endsWith('"'), '/s: the line is quoted whole');
  const first = cmdPhase(last.slice(1, -1));
  assert.ok(first.startsWith(`${file} `) || first === file, `the batch file runs: ${first}`);
  const rest = first.slice(file.length + 1); // %*: the rest of the line, as cmd passed it
  return msvcArgv(cmdPhase(rest));
}

const NASTY = [
  'fix the bug & run the tests',
  'say "hi" & calc',
  'an "odd quote & calc',
  '"quoted" | more',
  '100% done',
  '%PATH% stays',
  'a ^ caret',
  '<redirect> >out',
  'C:\\Program Files\\My App\\',
  'trailing backslash\\',
  'Zoë Müller, 東京',
  '',
  '--settings={"hooks":{"Stop":[]}}',
];

test('a real claude that is a batch file gets every argument exactly as given', () => {
  const file = 'C:\\Users\\Zoë Müller\\AppData\\Roaming\\npm\\claude.cmd';
  const cmd = windowsCommand(file, NASTY, 'C:\\Windows\\System32\\cmd.exe');
  assert.equal(cmd.command, 'C:\\Windows\\System32\\cmd.exe');
  assert.equal(cmd.verbatim, true, 'node must not quote the line again');
  assert.deepEqual(throughBatchFile(file, cmd.args), NASTY);
  // .bat too, and any case.
  assert.equal(windowsCommand('D:\\tools\\CLAUDE.BAT', ['x'], 'cmd.exe').command, 'cmd.exe');
});

test('escaped once (what cross-spawn does outside node_modules\\.bin), a quote and an & become a second command', () => {
  const file = 'C:\\Users\\me\\AppData\\Roaming\\npm\\claude.cmd';
  const once = ['/d', '/s', '/c', `"${[escape.command(file), ...['an "odd quote & calc'].map((a) => escape.argument(a, false))].join(' ')}"`];
  assert.throws(() => throughBatchFile(file, once), /would end the command at "&"/);
});

test('an .exe claude is started directly, its arguments left to node', () => {
  const cmd = windowsCommand('C:\\Users\\me\\.local\\bin\\claude.exe', NASTY);
  assert.deepEqual(cmd, { command: 'C:\\Users\\me\\.local\\bin\\claude.exe', args: NASTY, verbatim: false });
});

test('the real claude on a Windows PATH: ";" entries, quoted ones, PATHEXT order, shim folders skipped in any case', () => {
  const root = tempHome('cp-win-path-');
  const spaced = join(root, 'Program Files', 'nodejs');
  const user = join(root, 'Users', 'Zoë Müller', 'AppData', 'Roaming', 'npm');
  const shim = join(root, 'Users', 'Zoë Müller', 'shim');
  for (const d of [spaced, user, shim]) mkdirSync(d, { recursive: true });
  writeFileSync(join(shim, 'claude.cmd'), '@echo off\r\n');
  writeFileSync(join(user, 'claude.cmd'), '@echo off\r\n');
  writeFileSync(join(user, 'claude'), '#!/bin/sh\n'); // npm writes a POSIX one beside it: not for cmd
  const pathVar = [`"${shim}"`, '', `"${spaced}"`, user].join(';');
  const exts = '.COM;.EXE;.BAT;.CMD'.split(';');
  assert.equal(findRealClaude(pathVar, [shim.toUpperCase()], 'win32', exts), join(user, 'claude.cmd'), 'the shim folder is skipped whatever its case; the .cmd wins over the extensionless file');
  writeFileSync(join(spaced, 'claude.exe'), 'MZ');
  assert.equal(findRealClaude(pathVar, [shim], 'win32', exts), join(spaced, 'claude.exe'), 'a quoted folder with a space is searched, in PATH order');
  assert.equal(findRealClaude(pathVar, [shim], 'win32', ['.CMD', '.EXE']), join(spaced, 'claude.exe'), 'each folder in turn, then PATHEXT within it');
  // Another window's shim folder (it holds shim.json) is skipped too.
  writeFileSync(join(spaced, 'shim.json'), '{}');
  assert.equal(findRealClaude(pathVar, [shim], 'win32', exts), join(user, 'claude.cmd'));
  assert.equal(findRealClaude('', [], 'win32', exts), null);
});

test('the batch files: CRLF, setlocal, ASCII only where the user name is not, UTF-8 only when needed', () => {
  const shim = 'C:\\Users\\Zoë\\AppData\\Roaming\\Code\\User\\globalStorage\\claude-peers\\bin';
  const node = 'C:\\Users\\Zoë\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe';
  const cli = 'C:\\Users\\Zoë\\.vscode\\extensions\\claude-peers-0.1.0 (100%)\\dist\\cli.js';
  const { claude, claudePeers } = windowsShimScripts(shim, node, cli);
  for (const bat of [claude, claudePeers]) {
    assert.ok(bat.split('\n').slice(0, -1).every((l) => l.endsWith('\r')), 'every line ends in CRLF');
    assert.match(bat, /^@echo off\r\n/);
    assert.match(bat, /\r\nsetlocal\r\n/, 'nothing it sets stays in the user\'s cmd session');
    assert.match(bat, /^[\x00-\x7f]*$/, 'only ASCII: cmd reads a batch file in the console\'s code page');
    assert.doesNotMatch(bat, /chcp/, 'the console\'s code page is left alone');
    assert.doesNotMatch(bat, /^\s*\(|\)\s*$/m, 'no block: %ERRORLEVEL% would be read before node ran');
    assert.match(bat, /"%~dp0\.\.\\\.\.\\\.\.\\\.\.\\\.\.\\\.\.\\Local\\Programs\\Microsoft VS Code\\Code\.exe"/);
    assert.match(bat, /claude-peers-0\.1\.0 \(100%%\)\\dist\\cli\.js"/, '% doubled, the path in quotes');
    assert.match(bat, /\r\nexit \/b %ERRORLEVEL%\r\n:gone\r\n/);
  }
  assert.match(claude, /\r\nset "CLAUDE_PEERS_SHIM_DIR=%~dp0\."\r\n/);
  assert.match(claude, /Code\.exe" "[^"]*cli\.js" claude-shim %\*\r\n/);
  assert.match(claudePeers, /cli\.js" %\*\r\n/);
  // On another drive a relative path cannot help: a name outside ASCII switches the console to UTF-8 and back.
  const far = windowsShimScripts('C:\\Users\\Zoë\\shim', 'D:\\Programme\\Grün\\Code.exe', 'C:\\Users\\Zoë\\x\\cli.js');
  const lines = far.claude.split('\r\n');
  const cp = lines.findIndex((l) => l === 'chcp 65001 >nul');
  assert.ok(cp > 0 && lines.slice(0, cp).every((l) => /^[\x00-\x7f]*$/.test(l)), 'ASCII until the switch');
  assert.match(lines[cp - 1], /^for \/f "tokens=2 delims=:\." %%p in \('chcp'\) do set "CLAUDE_PEERS_CP=%%p"$/);
  assert.ok(far.claude.includes('"D:\\Programme\\Grün\\Code.exe"'));
  assert.match(far.claude, /set "CLAUDE_PEERS_RC=%ERRORLEVEL%"\r\nchcp %CLAUDE_PEERS_CP% >nul\r\nexit \/b %CLAUDE_PEERS_RC%\r\n/, 'switched back, the exit code kept');
  assert.match(far.claude, /:gone\r\nchcp %CLAUDE_PEERS_CP% >nul\r\n/);
  // Quotes cannot be part of a Windows path; one that slipped in cannot end the string early.
  assert.ok(!windowsShimScripts('C:\\s', 'D:\\a"b\\node.exe', 'D:\\c.js').claude.includes('a"b'));
});

test('installShim writes the .cmd files beside the POSIX ones', () => {
  const dir = tempHome('cp-win-shim-');
  installShim(dir, { enabled: true, channels: false, runtime: { node: process.execPath, cli: '/opt/x/cli.js', hook: '/opt/x/hook.js', electron: false } });
  assert.equal(readFileSync(join(dir, 'claude.cmd'), 'utf8'), windowsShimScripts(dir, process.execPath, '/opt/x/cli.js').claude);
  assert.equal(readFileSync(join(dir, 'claude-peers.cmd'), 'utf8'), windowsShimScripts(dir, process.execPath, '/opt/x/cli.js').claudePeers);
});

test('liveness without /proc (Windows, macOS): by pid alone, no start time, no parent', (t) => {
  const real = Object.getOwnPropertyDescriptor(process, 'platform')!;
  t.after(() => Object.defineProperty(process, 'platform', real));
  Object.defineProperty(process, 'platform', { ...real, value: 'win32' });
  assert.equal(processStart(process.pid), null);
  assert.equal(parentOf(process.pid), null);
  assert.equal(isAlive(process.pid), true);
  for (const bad of [0, -1, 1.5, Number.NaN]) assert.equal(isAlive(bad), false, String(bad));
  assert.equal(isAlive(2 ** 22 + 12345), false, 'a pid above any in use');
});
