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

test('forgetting idle buckets never refills a partly drained one', () => {
  const now = 0;
  const rl = new RateLimiter({ messagesPerMin: 300, requestsPerMin: 3000 }, () => now);
  // A requests bucket drained to 2,500 of 3,000: above the messages limit, far from its own.
  for (let i = 0; i < 500; i++) rl.take('requestsPerMin', 'busy');
  // Ten thousand other peers later (a prune runs past 10,000 buckets), the busy peer's bucket is as drained as it was.
  for (let i = 0; i < 10_001; i++) rl.take('messagesPerMin', `p${i}`);
  let allowed = 0;
  while (rl.take('requestsPerMin', 'busy') === 0) allowed++;
  assert.equal(allowed, 2500, 'the 2,500 it had left, not a fresh 3,000');
});
