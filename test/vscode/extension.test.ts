// The extension as VS Code sees it: it activates, registers every command its package.json
// contributes, declares a default for every claudePeers.* setting, and claudePeers.showLog runs.
// Checked against the manifest the editor loaded, so the suite follows package.json as it grows.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { test } from './runner.ts';

export const EXTENSION_ID = 'claude-peers.claude-peers';

interface CommandContribution { command: string; title?: string | { value: string } }
interface SettingSchema {
  default?: unknown; type?: unknown; description?: string; markdownDescription?: string;
  enum?: unknown[]; enumDescriptions?: string[]; markdownDeprecationMessage?: string; deprecationMessage?: string;
}
interface ConfigurationContribution { title?: string; properties?: Record<string, SettingSchema> }
interface Manifest {
  contributes?: {
    commands?: CommandContribution[];
    configuration?: ConfigurationContribution | ConfigurationContribution[];
    menus?: Record<string, { command?: string; submenu?: string }[]>;
    keybindings?: { command: string; key: string; mac?: string }[];
  };
}

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded (installed: ${vscode.extensions.all.map((e) => e.id).filter((id) => !id.startsWith('vscode.')).join(', ') || 'none but built-ins'})`);
  return ext;
}

function manifest(): Manifest {
  return extension().packageJSON as Manifest;
}

function settingsProperties(): [string, SettingSchema][] {
  const conf = manifest().contributes?.configuration;
  const sections = conf === undefined ? [] : Array.isArray(conf) ? conf : [conf];
  return sections.flatMap((s) => Object.entries(s.properties ?? {}));
}

test('the extension activates', async () => {
  const ext = extension();
  await ext.activate();
  assert.equal(ext.isActive, true, 'isActive after activate()');
}, { timeoutMs: 60_000 });

test('every contributed command is registered', async () => {
  const contributed = (manifest().contributes?.commands ?? []).map((c) => c.command);
  assert.ok(contributed.length > 0, 'package.json contributes no commands');
  assert.ok(contributed.includes('claudePeers.showLog'), 'claudePeers.showLog is not contributed');
  const registered = new Set(await vscode.commands.getCommands(true));
  const missing = contributed.filter((c) => !registered.has(c));
  assert.deepEqual(missing, [], `contributed in package.json but not registered by the extension: ${missing.join(', ')}`);
  const foreign = contributed.filter((c) => !c.startsWith('claudePeers.'));
  assert.deepEqual(foreign, [], 'every command id lives under claudePeers.');
});

test('menus only reference contributed commands', () => {
  const contributed = new Set((manifest().contributes?.commands ?? []).map((c) => c.command));
  const dangling: string[] = [];
  for (const [menu, items] of Object.entries(manifest().contributes?.menus ?? {})) {
    for (const item of items) if (item.command && !contributed.has(item.command)) dangling.push(`${menu}: ${item.command}`);
  }
  assert.deepEqual(dangling, []);
});

test('every claudePeers.* setting has a default that VS Code reports', () => {
  const props = settingsProperties();
  assert.ok(props.length > 0, 'package.json contributes no settings');
  const config = vscode.workspace.getConfiguration();
  for (const [key, schema] of props) {
    assert.ok(key.startsWith('claudePeers.'), `setting ${key} is outside the claudePeers namespace`);
    assert.ok('default' in schema, `setting ${key} declares no default`);
    const inspected = config.inspect(key);
    assert.ok(inspected, `VS Code does not know the setting ${key}`);
    assert.deepEqual(inspected.defaultValue, schema.default, `default of ${key} as VS Code reports it`);
  }
});

test('claudePeers.port defaults to 7899', () => {
  assert.equal(vscode.workspace.getConfiguration('claudePeers').inspect<number>('port')?.defaultValue, 7899);
});

test('the command claudePeers.showLog runs', async () => {
  await vscode.commands.executeCommand('claudePeers.showLog');
});

test('settings explain themselves: every enum value is described, descriptions stand alone, US spelling', () => {
  for (const [key, schema] of settingsProperties()) {
    const text = schema.markdownDescription ?? schema.description ?? '';
    assert.ok(text.length > 20, `${key} has a description`);
    assert.doesNotMatch(text, /^The same for/i, `${key}: a description that refers to another setting is not self-contained`);
    assert.doesNotMatch(text, /\benrol(ment)?\b|\benrolled\b/i, `${key}: US spelling ("enroll")`);
    if (schema.enum) assert.equal(schema.enumDescriptions?.length, schema.enum.length, `${key}: every value of ${JSON.stringify(schema.enum)} is described`);
  }
});

test('the old join setting is still declared, marked as replaced', () => {
  const legacy = settingsProperties().find(([k]) => k === 'claudePeers.enrol.enabled')?.[1];
  assert.ok(legacy, 'claudePeers.enrol.enabled is declared (a user\'s value keeps working)');
  assert.match(legacy.markdownDeprecationMessage ?? legacy.deprecationMessage ?? '', /joinPeerNetwork/);
  assert.ok(settingsProperties().some(([k]) => k === 'claudePeers.terminals.joinPeerNetwork'));
});

test('the composer can be focused from the keyboard', () => {
  const binding = (manifest().contributes?.keybindings ?? []).find((k) => k.command === 'claudePeers.focusComposer');
  assert.ok(binding?.key, 'claudePeers.focusComposer has a keybinding');
});
