// What readers that stop reading cost the broker: its resident memory while N event-stream readers
// (observers, GET /v1/events?all=1 with the user's token, as the panel or `claude-peers inbox
// --follow` open it) stop reading and one session pushes M MiB of messages through it, against the
// same run with N readers that keep reading.
//
// The broker queues frames per stream and drops a stream once more than 4 MiB wait in Node's
// buffers for it (src/broker/events.ts MAX_BUFFERED; the kernel's socket buffers come on top, not
// in the broker's RSS): memory per stalled reader is bounded, whatever M is, and what the reader
// missed stays in the store. Each configuration runs on a fresh broker: its RSS before the push is
// the baseline, the peak is sampled every 50 ms during the push (and VmHWM, the kernel's own
// high-water mark, is read after it), the drops are the broker's log lines.
import net from 'node:net';
import { QUICK, cpuPressure, LoadClient, now, registerSession, report, rssKiB, run, sleep, standIns, startBroker, waitFor, type Broker } from './lib.ts';

const BODY_KIB = 30;
/** [readers, MiB pushed]: more data with the same readers (the bound does not move), more readers. */
const CONFIGS: [number, number][] = QUICK ? [[4, 15]] : [[4, 30], [4, 120], [16, 30]];
const MAX_BUFFERED_MIB = 4;

interface Outcome {
  readers: number; mib: number; stalled: boolean;
  baseMiB: number; peakMiB: number; hwmGrowthMiB: number; afterMiB: number;
  dropped: number; lastDropS: number | null; dropAtMiB: number | null;
  sendS: number; readMiB: number | null; pressure: number | null;
}

async function once(readers: number, mib: number, stalled: boolean): Promise<Outcome> {
  const b: Broker = await startBroker();
  const claude = standIns(2);
  const sender = await registerSession(b, { pid: claude.pids[0], cwd: '/bench/sender' });
  const receiver = await registerSession(b, { pid: claude.pids[1], cwd: '/bench/receiver' });
  const lc = await LoadClient.connect(b, sender.key);
  const body = 'z'.repeat(BODY_KIB * 1024);
  // Warm-up: the send path and SQLite's cache, before the baseline is taken.
  for (let i = 0; i < 50; i++) await lc.post('/messages', { to: receiver.id, body });
  await sleep(1500);
  const base = rssKiB(b.pid)!;

  const socks: net.Socket[] = [];
  const got: number[] = new Array(readers).fill(0);
  for (let i = 0; i < readers; i++) {
    const s = net.connect(b.port, '127.0.0.1');
    s.on('error', () => {}); // the broker drops a stalled reader by closing it
    s.write(`GET /v1/events?all=1 HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\nAuthorization: Bearer ${b.token}\r\nAccept: text/event-stream\r\n\r\n`);
    if (stalled) s.pause();
    else s.on('data', (c: Buffer) => { got[i] += c.length; });
    socks.push(s);
  }
  const drops = () => (b.stderr().match(/dropped the event stream of an observer: it stopped reading/g) ?? []).length;
  await waitFor(async () => (await b.client.get<any>('/status')).ok, 5000, 'the streams to open');
  await sleep(300);

  let peak = base.rss;
  const dropTimes: { at: number; sentMiB: number }[] = [];
  let sentBytes = 0;
  const t0 = now();
  const sampler = setInterval(() => {
    const r = rssKiB(b.pid);
    if (r) peak = Math.max(peak, r.rss);
    while (dropTimes.length < drops()) dropTimes.push({ at: now(), sentMiB: sentBytes / 2 ** 20 });
  }, 50);
  const count = Math.ceil((mib * 1024) / BODY_KIB);
  for (let i = 0; i < count; i++) {
    await lc.post('/messages', { to: receiver.id, body });
    sentBytes += body.length;
  }
  const sendS = (now() - t0) / 1000;
  const pressure = cpuPressure();
  // Readers that read get everything (each message is a frame a little larger than its body).
  let readMiB: number | null = null;
  if (!stalled) {
    await waitFor(() => got.every((g) => g >= sentBytes), 60_000, 'the readers to read every message').catch(() => {});
    readMiB = Math.min(...got) / 2 ** 20;
  } else {
    await waitFor(() => drops() >= readers, 10_000, 'each stalled reader to be dropped').catch(() => {});
  }
  await sleep(200);
  clearInterval(sampler);
  while (dropTimes.length < drops()) dropTimes.push({ at: now(), sentMiB: sentBytes / 2 ** 20 });
  const end = rssKiB(b.pid)!;
  peak = Math.max(peak, end.rss);
  await sleep(1500);
  const after = rssKiB(b.pid)!;
  for (const s of socks) s.destroy();
  lc.close();
  await b.stop();
  claude.kill();
  const last = dropTimes.at(-1);
  return {
    readers, mib, stalled, baseMiB: base.rss / 1024, peakMiB: peak / 1024, hwmGrowthMiB: (end.hwm - base.hwm) / 1024, afterMiB: after.rss / 1024,
    dropped: dropTimes.length, lastDropS: last ? (last.at - t0) / 1000 : null, dropAtMiB: last ? last.sentMiB : null, sendS, readMiB, pressure,
  };
}

run(async () => {
  const outcomes: Outcome[] = [];
  for (const [readers, mib] of CONFIGS) {
    // Reading first, then stalled: each on a fresh broker.
    for (const stalled of [false, true]) {
      const o = await once(readers, mib, stalled);
      outcomes.push(o);
      console.log(`  ${readers} ${stalled ? 'stalled' : 'reading'} readers, ${mib} MiB: broker RSS ${o.baseMiB.toFixed(0)} → peak ${o.peakMiB.toFixed(0)} MiB, ${o.dropped} dropped`);
    }
  }
  const f1 = (v: number | null) => (v === null || !Number.isFinite(v) ? '—' : v.toFixed(1));
  const rows = outcomes.map((o) => {
    const reading = outcomes.find((r) => r.readers === o.readers && r.mib === o.mib && !r.stalled)!;
    return [o.readers, o.stalled ? 'stalled' : 'reading', o.mib, f1(o.baseMiB), f1(o.peakMiB), f1(o.peakMiB - o.baseMiB), f1(o.hwmGrowthMiB),
      o.stalled ? f1(o.peakMiB - o.baseMiB - (reading.peakMiB - reading.baseMiB)) : '—', o.stalled ? `${o.readers * MAX_BUFFERED_MIB}` : '—',
      f1(o.afterMiB), `${o.dropped}/${o.readers}`, o.stalled ? `${f1(o.dropAtMiB)} MiB, ${f1(o.lastDropS)} s` : '—',
      o.readMiB === null ? '—' : f1(o.readMiB), f1((o.mib) / o.sendS), o.pressure?.toFixed(0) ?? '—'];
  });
  for (const o of outcomes) if (o.stalled && o.dropped < o.readers) console.error(`*** ${o.readers - o.dropped} of ${o.readers} stalled readers were not dropped (${o.mib} MiB pushed)`);
  report({
    name: 'slow-reader',
    title: 'Broker memory under readers that stop reading',
    notes: [
      `N observers open GET /v1/events?all=1 (the user's token) on raw sockets; "stalled" ones pause their socket at once and never read, "reading" ones read everything. One registered session then pushes M MiB as ${BODY_KIB} KiB messages (POST /v1/messages, one at a time, its own key) to a session without a stream; every observer gets every message.`,
      'Each row: a fresh broker, 50 messages of warm-up, then 1.5 s; base = its RSS then. Peak: RSS sampled every 50 ms during the push and just after; VmHWM growth: the kernel\'s high-water mark after the push − before. "above reading" = the stalled row\'s growth − the reading row\'s (what stalling itself costs); the drop threshold is N × 4 MiB (the broker drops a stream once more than 4 MiB wait in Node for it, checked after each write, so the last write of a stream can overshoot it; the kernel\'s socket buffers are not in the broker\'s RSS; the garbage collector adds its own noise of a few MiB). What the bound shows: the stalled peak does not grow with M.',
      'Dropped: the broker\'s log lines "dropped the event stream of an observer: it stopped reading"; "when" = MiB sent and seconds since the push began at the last drop. RSS after: 1.5 s after the push (the garbage collector returns memory lazily).',
      'MiB/s: M ÷ the time the push took. CPU pressure: Linux PSI "some avg10" after the push (others\' work on the machine).',
    ],
    tables: [{
      caption: 'broker RSS while readers stall vs read (MiB)',
      columns: ['readers', 'readers do', 'MiB pushed', 'RSS before', 'peak RSS', 'growth', 'VmHWM growth', 'growth above reading', 'drop threshold (N × 4 MiB)', 'RSS after', 'dropped', 'last drop when', 'MiB each reader read', 'MiB/s pushed', 'CPU pressure %'],
      rows,
    }],
    data: { slowReader: outcomes },
  });
});
