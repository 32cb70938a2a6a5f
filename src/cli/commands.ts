// The human-facing subcommands of `claude-peers`.
import { DEFAULT_PORT, loadConfig, parsePort, VERSION, type PeersConfig } from '../common/config.ts';
import { BrokerClient, BrokerError } from '../client/broker-client.ts';
import { startBroker, PortInUseError } from '../broker/broker.ts';
import { currentRuntime, writeRuntimeFile } from '../common/launch-config.ts';
import { PLUGIN_DIR } from '../common/plugin-files.ts';
import { outsideSetup } from '../common/setup-guide.ts';
import { dirname, join } from 'node:path';
import type { BrokerStatus, FederationStatus, InboxResponse, Message, Peer, SendResponse } from '../protocol/wire.ts';
import { HUMAN_ID } from '../protocol/wire.ts';

/** Parsed command-line options (node:util parseArgs, see main.ts). */
export type Flags = Record<string, string | boolean | undefined>;

export async function runCommand(cmd: string, args: string[], flags: Flags): Promise<number> {
  const cfg = loadConfig();
  switch (cmd) {
    case 'broker': return runBroker(cfg, flags);
    case 'status': return status(cfg, flags);
    case 'peers': return peers(cfg, flags);
    case 'send': return send(cfg, args, flags);
    case 'inbox': return inbox(cfg, flags);
    case 'setup-claude': return setupClaude(cfg, flags);
    default: return 2;
  }
}

const stamp = () => new Date().toISOString();

async function runBroker(cfg: PeersConfig, flags: Flags): Promise<number> {
  let port = cfg.port;
  if (typeof flags.port === 'string') {
    const p = parsePort(flags.port, true);
    if (p === null) {
      console.error(`claude-peers: --port ${flags.port} is not a port number: give an integer between 1 and 65535 (0 picks a free one).`);
      return 2;
    }
    port = p;
  }
  try {
    const broker = await startBroker({ config: cfg, port, log: (l) => console.error(`${stamp()} ${l}`) });
    // The plugin's launcher runs this install, on this port, when VS Code has not set another up.
    const env: Record<string, string> = broker.port !== DEFAULT_PORT ? { CLAUDE_PEERS_PORT: String(broker.port) } : {};
    try { writeRuntimeFile(cfg, currentRuntime(dirname(__filename), env)); } catch { /* the plugin falls back to claude-peers on PATH */ }
    const stop = (sig: string) => {
      console.error(`${stamp()} ${sig}: stopping`);
      void broker.close().then(() => process.exit(0));
      setTimeout(() => process.exit(0), 3000).unref();
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    return -1;
  } catch (e) {
    if (e instanceof PortInUseError) {
      const client = BrokerClient.forUser({ ...cfg, port });
      const found = await client.probe();
      if (found === 'ours') {
        const st = await client.get<BrokerStatus>('/status').catch(() => null);
        client.close();
        console.error(`claude-peers: this home's broker${st ? ` (version ${st.version}, pid ${st.pid})` : ''} is already running on 127.0.0.1:${port}; nothing to do.`);
        return 0;
      }
      client.close();
      console.error(found === 'foreign'
        ? `claude-peers: port ${port} on 127.0.0.1 is held by a program that could not prove it is the broker of ${cfg.home} (another user's broker, one with another CLAUDE_PEERS_HOME, or another program); nothing was sent to it. Pick a free port with --port N or CLAUDE_PEERS_PORT (and set the same in every terminal).`
        : `claude-peers: port ${port} on 127.0.0.1 is taken by another program. Pick a free one with --port N or CLAUDE_PEERS_PORT (and set the same in every terminal).`);
      return 1;
    }
    throw e;
  }
}

/** A client of this home's broker, or null after saying why there is none. */
async function connect(cfg: PeersConfig): Promise<BrokerClient | null> {
  const client = BrokerClient.forUser(cfg);
  const found = await client.probe();
  if (found === 'ours') return client;
  client.close();
  console.error(found === 'foreign'
    ? `claude-peers: something listens on 127.0.0.1:${cfg.port} but could not prove it is the broker of ${cfg.home}; nothing was sent to it. Stop it, or set CLAUDE_PEERS_PORT to the port of your broker.`
    : `claude-peers: no broker answers on 127.0.0.1:${cfg.port}. Start one with "claude-peers broker", or open VS Code with the Claude Peers extension.`);
  return null;
}

async function status(cfg: PeersConfig, flags: Flags): Promise<number> {
  const client = BrokerClient.forUser(cfg);
  const found = await client.probe();
  const st = found === 'ours' ? await client.get<BrokerStatus>('/status').catch(() => null) : null;
  client.close();
  if (!st) {
    if (flags.json) console.log(JSON.stringify({ running: false, port: cfg.port, listener: found }));
    else if (found === 'foreign') console.log(`Port ${cfg.port} on 127.0.0.1 is held by something that is not the broker of ${cfg.home} (claude-peers ${VERSION}).`);
    else console.log(`No broker running on 127.0.0.1:${cfg.port} (claude-peers ${VERSION}, home ${cfg.home}).`);
    return 1;
  }
  if (flags.json) console.log(JSON.stringify({ running: true, ...st }));
  else {
    console.log(`Broker ${st.version} running on 127.0.0.1:${st.port} (pid ${st.pid}, since ${st.startedAt}); ${st.db}; ${st.peers} live peer(s).`);
    console.log(describeFederation(st.federation));
  }
  return 0;
}

/** One line about the federation, for people: never a credential (the broker gives none out). */
export function describeFederation(f: FederationStatus | undefined): string {
  if (!f || f.state === 'off') return 'federation: off (this machine only; set CLAUDE_PEERS_FEDERATION_URL to join other hosts)';
  const where = f.url ? ` ${f.url}, network "${f.network}"` : '';
  if (f.state === 'connected') {
    return `federation: connected to${where} since ${f.since} as broker ${f.broker} (host "${f.host}"); ` +
      `${f.brokers} other broker(s), ${f.remotePeers} remote peer(s)${f.outbox ? `, ${f.outbox} envelope(s) waiting to go out` : ''}`;
  }
  return `federation: disconnected since ${f.since}${where ? ` (${where.trim()})` : ''}${f.problem ? `: ${f.problem}` : ''}` +
    `${f.outbox ? `; ${f.outbox} envelope(s) wait in the outbox and go out on reconnect` : ''}`;
}

async function peers(cfg: PeersConfig, flags: Flags): Promise<number> {
  const client = await connect(cfg);
  if (!client) return 1;
  const query = [flags.all ? 'all=1' : '', flags.network ? 'network=1' : ''].filter(Boolean).join('&');
  const { peers: list } = await client.get<{ peers: Peer[] }>(`/peers${query ? `?${query}` : ''}`);
  client.close();
  if (flags.json) { console.log(JSON.stringify(list, null, 2)); return 0; }
  if (!list.length) { console.log('No peers. Start claude in a terminal with claude-peers set up (claude-peers setup-claude).'); return 0; }
  for (const p of list) {
    const where = p.host ? `on ${p.host}` : `pid ${p.pid}`;
    console.log(`${p.name.padEnd(20)} ${p.status.padEnd(8)} ${p.id}  ${where}  ${p.cwd}${p.branch ? ` (${p.branch})` : ''}${p.kind === 'native' ? '  [a Claude Code session without claude-peers]' : ''}`);
    const what = p.summary ?? p.task;
    if (what) console.log(`${''.padEnd(21)}${what}`);
    if (p.files.length) console.log(`${''.padEnd(21)}files: ${p.files.slice(0, 5).map((f) => f.path).join(', ')}`);
  }
  return 0;
}

async function send(cfg: PeersConfig, args: string[], flags: Flags): Promise<number> {
  const [to, ...words] = args;
  const body = words.join(' ').trim();
  if (!to || !body) { console.error('Usage: claude-peers send <peer> <text...> [--reply-to N]'); return 2; }
  const replyTo = typeof flags['reply-to'] === 'string' ? Number(flags['reply-to']) : null;
  const client = await connect(cfg);
  if (!client) return 1;
  try {
    const { messages } = await client.post<SendResponse>('/messages', { to, body, replyTo, via: 'terminal' });
    console.log(`Sent message #${messages[0].id} to ${messages.map((m) => m.toName).join(', ')}. Answers: claude-peers inbox`);
    return 0;
  } catch (e) {
    console.error(`claude-peers: ${e instanceof BrokerError ? e.message : (e as Error).message}`);
    return 1;
  } finally {
    client.close();
  }
}

function printMessage(m: Message): void {
  console.log(`#${m.id} ${m.sentAt} from ${m.fromName}${m.replyTo ? ` (reply to #${m.replyTo})` : ''}:\n  ${m.body.replace(/\n/g, '\n  ')}`);
}

async function inbox(cfg: PeersConfig, flags: Flags): Promise<number> {
  const client = await connect(cfg);
  if (!client) return 1;
  const { messages } = await client.get<InboxResponse>(`/peers/${HUMAN_ID}/inbox?state=all`);
  if (flags.json && !flags.follow) { console.log(JSON.stringify(messages, null, 2)); return 0; }
  for (const m of messages) printMessage(m);
  if (messages.length) await client.post(`/peers/${HUMAN_ID}/ack`, { ids: messages.map((m) => m.id), state: 'read' });
  if (!flags.follow) {
    if (!messages.length) console.log('No messages for the human yet.');
    client.close();
    return 0;
  }
  client.subscribe(null, (e) => {
    if (e.type === 'message' && e.message.toId === HUMAN_ID) {
      printMessage(e.message);
      void client.post(`/peers/${HUMAN_ID}/ack`, { ids: [e.message.id], state: 'read' }).catch(() => {});
    }
  });
  return -1;
}

/** What `setup-claude` prints: every way to put sessions outside VS Code on the network, nothing written. */
function setupClaude(cfg: PeersConfig, flags: Flags): number {
  const rt = currentRuntime(dirname(__filename), process.env.CLAUDE_PEERS_HOME ? { CLAUDE_PEERS_HOME: cfg.home } : {});
  // The package's own plugin folder: its path is stable for a global install (npm i -g).
  const setup = outsideSetup(rt, join(dirname(__filename), '..', PLUGIN_DIR));
  if (flags.json) {
    console.log(JSON.stringify(setup.json, null, 2));
    return 0;
  }
  console.log(`# Nothing was written.\n${setup.guide}`);
  return 0;
}
