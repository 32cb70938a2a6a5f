import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../src/broker/rate-limit.ts';

test('token bucket per peer and kind: burst, refill, off', () => {
  let now = 0;
  const rl = new RateLimiter({ messagesPerMin: 3, requestsPerMin: 0 }, () => now);
  assert.deepEqual([1, 2, 3].map(() => rl.take('messagesPerMin', 'a')), [0, 0, 0]);
  const wait = rl.take('messagesPerMin', 'a');
  assert.ok(wait >= 1 && wait <= 20, `wait ${wait}`);
  assert.equal(rl.take('messagesPerMin', 'b'), 0, 'another peer has its own budget');
  now += 20_000;
  assert.equal(rl.take('messagesPerMin', 'a'), 0, 'refilled after a third of a minute');
  for (let i = 0; i < 1000; i++) assert.equal(rl.take('requestsPerMin', 'a'), 0, '0 = no limit');
});
