// The broker's port and VS Code's automatic port forwarding, as the editor sees the extension:
// the contributed default of remote.portsAttributes is in effect (merged with VS Code's own
// defaults), and the port attributes provider, still a proposed API, is refused to an extension
// that does not declare it (so the extension falls back to the default and a one-time offer).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { test } from './runner.ts';
import { registerPortAttributes } from '../../src/extension/port-forwarding.ts';

test(`where the suite runs: VS Code ${vscode.version}, Node ${process.versions.node}, ${vscode.env.appHost}, remote ${vscode.env.remoteName ?? 'none'}`, () => {
  assert.ok(vscode.version);
});

test('remote.portsAttributes defaults to ignoring port 7899, VS Code\'s own defaults kept', () => {
  const inspected = vscode.workspace.getConfiguration('remote').inspect<Record<string, { onAutoForward?: string; label?: string; protocol?: string }>>('portsAttributes');
  assert.ok(inspected, 'VS Code knows remote.portsAttributes');
  const defaults = inspected.defaultValue ?? {};
  assert.equal(defaults['7899']?.onAutoForward, 'ignore', `the default is ${JSON.stringify(defaults)}`);
  assert.equal(defaults['7899']?.label, 'Claude Peers broker');
  assert.equal(defaults['443']?.protocol, 'https', 'merged with VS Code\'s own default, not replacing it');
  assert.equal(vscode.workspace.getConfiguration('remote').get<Record<string, { onAutoForward?: string }>>('portsAttributes')?.['7899']?.onAutoForward, 'ignore', 'and in effect');
});

test('the port attributes provider is a proposal: refused with a reason, never an exception', () => {
  const r = registerPortAttributes(1);
  if ('disposable' in r) {
    r.disposable.dispose();
    console.log('[vscode-tests]   (this VS Code lets the extension register a port attributes provider)');
    return;
  }
  assert.match(r.reason, /proposal|no port attributes API/);
});
