// The rules for nudging an idle session through its terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideWake, wakePrompt, WAKE_REPEAT_MS, type WakeInput } from '../../src/client/wake-policy.ts';
import type { Message, Peer } from '../../src/protocol/wire.ts';

const peer = (status: Peer['status']) => ({ id: 'p1', name: 'calm-otter', status } as Peer);
const msg = (id: number, fromKind: Message['fromKind'] = 'peer') => ({ id, fromKind, fromName: fromKind === 'human' ? 'human' : 'brave-fox', body: 'secret words' } as Message);
const base = (over: Partial<WakeInput> = {}): WakeInput => ({
  peer: peer('idle'), unread: [msg(1)], inThisWindow: true, modes: { peer: 'ask', human: 'on' }, last: undefined, now: 1_000_000, ...over,
});

test('an idle session in this window with unread messages is asked about, or woken, by the settings', () => {
  assert.deepEqual(decideWake(base()), { action: 'ask', count: 1, newest: 1, fromHuman: false });
  assert.equal(decideWake(base({ unread: [msg(1), msg(2, 'human')] })).action, 'wake', 'human messages default to on');
  assert.equal(decideWake(base({ modes: { peer: 'off', human: 'on' } })).action, 'skip');
});

test('never for a working session, another window, nothing unread, or twice in a row', () => {
  assert.equal(decideWake(base({ peer: peer('working') })).action, 'skip');
  assert.equal(decideWake(base({ inThisWindow: false })).action, 'skip');
  assert.equal(decideWake(base({ unread: [] })).action, 'skip');
  assert.equal(decideWake(base({ peer: undefined })).action, 'skip');
  const last = { at: 1_000_000 - 1000, newest: 1 };
  assert.equal(decideWake(base({ last })).action, 'skip', 'already nudged for these');
  assert.equal(decideWake(base({ last, unread: [msg(1), msg(2)] })).action, 'ask', 'a newer message is worth a new nudge');
  assert.equal(decideWake(base({ last: { at: 1_000_000 - WAKE_REPEAT_MS - 1, newest: 1 } })).action, 'ask', 'and so is a long silence');
});

test("the typed prompt is neutral: a count, never the sender's words", () => {
  assert.equal(wakePrompt(1), '[claude-peers] 1 new message: read it with check_messages');
  assert.equal(wakePrompt(3), '[claude-peers] 3 new messages: read them with check_messages');
  assert.ok(!wakePrompt(2).includes('secret'));
});
