// One broker per machine, hosted by whichever VS Code window gets there first. Each window runs a
// BrokerHost: it uses a broker that already answers (another window's, or one the CLI started),
// otherwise binds the port and serves. Followers watch the leader; when it stops answering they
// race to bind the port, the kernel picks exactly one winner, and the rest follow it. All of them
// use the same SQLite file, so peers and undelivered messages survive the change of host.
import { startBroker, PortInUseError, type RunningBroker } from './broker.ts';
import { BrokerClient } from '../client/broker-client.ts';
import { readDiscovery, type PeersConfig } from '../common/config.ts';
import { isAlive } from '../common/process.ts';
import type { FederationOptions } from './federation/config.ts';

export type HostRole = 'starting' | 'leader' | 'follower' | 'blocked' | 'stopped';

export interface HostState {
  role: HostRole;
  port: number;
  /** Why the host is blocked, in words a user can act on. */
  problem: string | null;
  /** Which SQLite driver the broker uses, when this window serves. */
  driver: string | null;
  /** When this window serves: what was wrong with the database file and where the damaged copy went, if anything. */
  recovered?: string | null;
}

export interface BrokerHostOptions {
  config: PeersConfig;
  log?: (line: string) => void;
  nativeDir?: string;
  /** How often a follower checks the leader. */
  checkMs?: number;
  /** Consecutive failed checks before a follower tries to take over. */
  failuresBeforeTakeover?: number;
  /** Passed to startBroker (tests shorten them). */
  ttlMs?: number;
  sweepMs?: number;
  conflictWindowMs?: number;
  /** The federation the broker joins when this window serves it (undefined: as the environment says). */
  federation?: FederationOptions | null;
}

export class BrokerHost {
  readonly client: BrokerClient;
  private broker: RunningBroker | null = null;
  private state: HostState;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private lastElection = 0;
  private electing: Promise<void> | null = null;
  private readonly listeners = new Set<(s: HostState) => void>();
  private readonly log: (line: string) => void;

  constructor(private readonly o: BrokerHostOptions) {
    this.log = o.log ?? (() => {});
    this.client = BrokerClient.forUser(o.config, 5000);
    this.state = { role: 'starting', port: o.config.port, problem: null, driver: null };
  }

  get current(): HostState { return { ...this.state }; }

  onDidChange(fn: (s: HostState) => void): { dispose(): void } {
    this.listeners.add(fn);
    return { dispose: () => this.listeners.delete(fn) };
  }

  /** Decides this window's role, then keeps watching. Resolves once the role is known. */
  async start(): Promise<HostState> {
    await this.elect();
    this.timer = setInterval(() => void this.watch(), this.o.checkMs ?? 750);
    this.timer.unref?.();
    return this.current;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.electing;
    const b = this.broker;
    this.broker = null;
    if (b) {
      this.log('Stopping the broker this window served; another window takes over.');
      await b.close();
    }
    this.set({ role: 'stopped', problem: null, driver: null });
    this.client.close();
  }

  /** Forces a new election now (after a settings change or a user's "retry"). */
  retry(): Promise<void> { return this.elect(); }

  private async watch(): Promise<void> {
    if (this.electing || this.state.role === 'leader' || this.state.role === 'stopped') return;
    // Blocked (port squatted): look again now and then, not at every tick.
    if (this.state.role === 'blocked' && Date.now() - this.lastElection < 5000) return;
    const ok = await this.answersAsBroker();
    if (ok && this.state.role === 'follower') { this.failures = 0; return; }
    if (++this.failures < (this.o.failuresBeforeTakeover ?? 2) && this.state.role === 'follower') return;
    // A little jitter so a dozen windows do not all open the database in the same millisecond.
    await new Promise((r) => setTimeout(r, Math.random() * 150));
    await this.elect();
  }

  private elect(): Promise<void> {
    this.electing ??= this.doElect().finally(() => { this.electing = null; });
    return this.electing;
  }

  private async doElect(): Promise<void> {
    this.lastElection = Date.now();
    const { config } = this.o;
    const found = await this.probe(400);
    if (found === 'ours') return this.follow();
    if (found === 'foreign') return this.block(this.foreignProblem());
    try {
      const t0 = Date.now();
      this.broker = await startBroker({
        config, port: config.port, log: (l) => this.log(`[broker] ${l}`), nativeDir: this.o.nativeDir,
        ttlMs: this.o.ttlMs, sweepMs: this.o.sweepMs, conflictWindowMs: this.o.conflictWindowMs, federation: this.o.federation,
      });
      this.client.refreshSecrets(config, true);
      this.failures = 0;
      this.log(`This window now serves the broker on 127.0.0.1:${config.port} (${this.broker.driver}, ready in ${Date.now() - t0} ms).`);
      this.set({ role: 'leader', problem: null, driver: this.broker.driver, recovered: this.broker.recovered });
    } catch (e) {
      if (!(e instanceof PortInUseError)) {
        this.block(`The broker could not start: ${(e as Error).message}`);
        return;
      }
      // Someone else bound it first: usually another window that won the same race.
      const now = await this.probe(1000);
      if (now === 'ours') return this.follow();
      if (now === 'foreign') return this.block(this.foreignProblem());
      const d = readDiscovery(config.discoveryPath);
      if (d && d.port === config.port && isAlive(d.pid)) {
        // Our broker, alive but not answering (busy or paused in a debugger): keep following.
        this.log(`The broker (pid ${d.pid}) on port ${config.port} is not answering; waiting for it.`);
        this.set({ role: 'follower', problem: `The broker (pid ${d.pid}) is not answering.`, driver: null });
        return;
      }
      this.block(`Port ${config.port} on 127.0.0.1 is used by another program, not a Claude Peers broker. Set "claudePeers.port" to a free port (and CLAUDE_PEERS_PORT for sessions outside VS Code), or stop that program.`);
    }
  }

  private follow(): void {
    this.failures = 0;
    if (this.state.role !== 'follower' || this.state.problem) {
      this.log(`Using the broker already running on 127.0.0.1:${this.o.config.port}.`);
    }
    this.set({ role: 'follower', problem: null, driver: null });
  }

  private block(problem: string): void {
    if (this.state.problem !== problem) this.log(problem);
    this.set({ role: 'blocked', problem, driver: null });
  }

  /** Health answers and our token is accepted: it is our broker, usable as is. */
  private async answersAsBroker(timeoutMs = 400): Promise<boolean> {
    return (await this.probe(timeoutMs)) === 'ours';
  }

  /** Who listens on the port, by the broker's proof: nothing else is ever sent to an unproven listener. */
  private async probe(timeoutMs: number): Promise<'ours' | 'foreign' | 'none'> {
    this.client.refreshSecrets(this.o.config, true);
    return this.client.probe(timeoutMs);
  }

  private foreignProblem(): string {
    return `Port ${this.o.config.port} on 127.0.0.1 is held by a program that could not prove it is your Claude Peers broker ` +
      '(another program, another user\'s broker, or a broker of another CLAUDE_PEERS_HOME); nothing was sent to it. ' +
      'Set "claudePeers.port" to a free port (and CLAUDE_PEERS_PORT for sessions outside VS Code), or stop that program.';
  }

  private set(p: Partial<HostState>): void {
    const before = JSON.stringify(this.state);
    this.state = { ...this.state, ...p };
    if (JSON.stringify(this.state) === before) return;
    for (const fn of this.listeners) fn(this.current);
  }
}
