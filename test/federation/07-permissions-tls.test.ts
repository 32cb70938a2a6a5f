// The two stronger setups docs/federation.md describes, run for real: per-broker NATS users whose
// publish permissions pin each broker to its own subjects (a broker cannot even publish on
// another's, signatures aside), and a server that speaks TLS only, verified with a CA of the
// team's own (CLAUDE_PEERS_FEDERATION_CA); without the CA a broker refuses the server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { loadIdentity } from '../../src/broker/federation/keys.ts';
import { registerSession, tempHome, waitFor } from '../support/processes.ts';
import { natsMissing, startNats, type NatsProc } from '../support/nats.ts';
import { connected, federation, fedBroker, networkPeers } from '../support/federation.ts';

const skip = natsMissing() ?? false;
const started: { kill(): Promise<void> }[] = [];
after(async () => { for (const s of started.reverse()) await s.kill(); });

/** The nats-server users of docs/federation.md: each broker publishes only on its own subjects. */
function brokerUser(name: string, password: string, network: string, brokerId: string): string {
  return `{ user: ${name}, password: "${password}", permissions: {
    publish: { allow: ["cp.${network}.m.*.${brokerId}", "$KV.cp_${network}_presence.b.${brokerId}", "$KV.cp_${network}_presence.p.${brokerId}.>",
                       "$KV.cp_${network}_locks.>", "$JS.API.>", "$JS.ACK.CP_${network}.in_${brokerId}.>", "$JS.FC.>", "_INBOX.>"] },
    subscribe: { allow: ["_INBOX.>"] } } }`;
}

test('per-broker users and subject permissions: everything works, and a broker cannot publish as another', { skip, timeout: 60_000 }, async () => {
  const net = 'team';
  const homes = [tempHome(), tempHome()];
  const ids = homes.map((h) => loadIdentity(h).id); // a broker's id is known before it first starts
  const conf = join(tempHome(), 'nats.conf');
  writeFileSync(conf, `authorization { users = [ ${brokerUser('alpha', 'pw-alpha', net, ids[0])}, ${brokerUser('beta', 'pw-beta', net, ids[1])} ] }\n`);
  const nats = await startNats({ configFile: conf });
  started.push(nats);
  const as = (user: string) => ({ CLAUDE_PEERS_FEDERATION_URL: `nats://${user}:pw-${user}@127.0.0.1:${nats.port}`, CLAUDE_PEERS_FEDERATION_TOKEN: '' });
  const A = await fedBroker(nats, 'alpha', { home: homes[0], network: net, env: as('alpha') });
  const B = await fedBroker(nats, 'beta', { home: homes[1], network: net, env: as('beta') });
  started.push(A, B);
  await connected(A);
  await connected(B);
  assert.equal((await federation(A)).url, `nats://127.0.0.1:${nats.port}`, 'the password is not shown');
  assert.ok(!A.stderr().includes('pw-alpha'));
  const sa = await registerSession(A, { cwd: '/a' });
  const sb = await registerSession(B, { cwd: '/b' });
  const rb = await waitFor(async () => (await networkPeers(A)).find((p) => p.host === 'beta'), 15_000, 'beta\'s peer at alpha');
  await sa.client.post('/messages', { to: rb.id, body: 'under permissions' });
  const got = await waitFor(async () => (await sb.client.get<any>(`/peers/${sb.peer.id}/inbox`)).messages[0], 15_000, 'delivered');
  await sb.client.post(`/peers/${sb.peer.id}/ack`, { ids: [got.id], state: 'read' });
  await waitFor(async () => (await A.client.get<any>('/messages')).messages[0]?.state === 'read', 15_000, 'the state back');
  assert.equal((await sa.client.post<any>('/locks/deploy/acquire', {})).granted, true);
  assert.equal((await sb.client.post<any>('/locks/deploy/acquire', {})).granted, false, 'locks across permissions');
  // beta's credentials cannot put anything on alpha's subjects.
  const nc = await connect({ servers: `nats://127.0.0.1:${nats.port}`, user: 'beta', pass: 'pw-beta' });
  const errors: string[] = [];
  void (async () => { for await (const s of nc.status()) if (s.type === 'error') errors.push(String((s as { error?: unknown }).error)); })();
  nc.publish(`cp.${net}.m.${ids[1]}.${ids[0]}`, 'forged');
  nc.publish(`$KV.cp_${net}_presence.p.${ids[0]}.p_fake`, 'forged');
  await waitFor(() => errors.filter((e) => /Permissions Violation for Publish/.test(e)).length >= 2, 5000, 'both publishes refused by the server');
  await nc.close();
  sa.client.close();
  sb.client.close();
});

function makeCa(dir: string): { ca: string; cert: string; key: string } {
  const run = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=claude-peers test CA');
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

const noOpenssl = spawnSync('openssl', ['version']).status !== 0 ? 'openssl is not installed' : false;

test('TLS with the team\'s own CA: brokers verify the server; without the CA they refuse it', { skip: skip || noOpenssl, timeout: 60_000 }, async () => {
  const pki = makeCa(tempHome('cp-pki-'));
  const nats: NatsProc = await startNats({ extraArgs: ['--tls', '--tlscert', pki.cert, '--tlskey', pki.key] });
  started.push(nats);
  const tls = { CLAUDE_PEERS_FEDERATION_URL: `tls://127.0.0.1:${nats.port}`, CLAUDE_PEERS_FEDERATION_CA: pki.ca };
  const A = await fedBroker(nats, 'tls-a', { env: tls });
  const B = await fedBroker(nats, 'tls-b', { env: tls });
  const stranger = await fedBroker(nats, 'no-ca', { env: { CLAUDE_PEERS_FEDERATION_URL: `tls://127.0.0.1:${nats.port}` } });
  started.push(A, B, stranger);
  await connected(A);
  await connected(B);
  const sa = await registerSession(A, { cwd: '/a' });
  const sb = await registerSession(B, { cwd: '/b' });
  const rb = await waitFor(async () => (await networkPeers(A)).find((p) => p.host === 'tls-b'), 15_000, 'B\'s peer over TLS');
  await sa.client.post('/messages', { to: rb.id, body: 'over tls' });
  await waitFor(async () => (await sb.client.get<any>(`/peers/${sb.peer.id}/inbox`)).messages[0]?.body === 'over tls', 15_000, 'delivered over TLS');
  const st = await waitFor(async () => { const f = await federation(stranger); return f.problem ? f : null; }, 15_000, 'the broker without the CA to give up on the server');
  assert.equal(st.state, 'disconnected');
  assert.match(st.problem!, /certificate|self.signed|verify|CERT/i);
  sa.client.close();
  sb.client.close();
});
