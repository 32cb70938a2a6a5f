// A scripted fake of the Anthropic Messages API on loopback, for driving the real Claude Code CLI
// offline. It records every request (so tests can assert on what the model was shown) and answers
// each POST /v1/messages from a script, streamed as server-sent events like the real API.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; name: string; input: Record<string, unknown>; id?: string };

/** What the script answers: blocks (stop reason inferred: tool_use when any tool_use block). */
export type Reply = Block[] | { blocks: Block[]; stopReason?: string };

export interface RecordedRequest {
  index: number;
  method: string;
  path: string;
  body: any;
  at: number;
}

export type Script = (req: RecordedRequest, index: number) => Reply | Promise<Reply>;

export const text = (t: string): Block => ({ type: 'text', text: t });
export const toolUse = (name: string, input: Record<string, unknown> = {}): Block => ({ type: 'tool_use', name, input });

/** Every piece of text in one content value (string or blocks, tool results included). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((b: any) => {
    if (!b || typeof b !== 'object') return '';
    if (b.type === 'text') return b.text ?? '';
    if (b.type === 'tool_result') return contentText(b.content);
    if (b.type === 'tool_use') return JSON.stringify(b.input ?? {});
    return '';
  }).join('\n');
}

/** The text of the last role:"user" message (where Claude Code puts the prompt and tool results). */
export function lastUserText(body: any): string {
  const msgs: any[] = Array.isArray(body?.messages) ? body.messages : [];
  for (let i = msgs.length - 1; i >= 0; i--) if (msgs[i]?.role === 'user') return contentText(msgs[i].content);
  return '';
}

/** The whole request as text: system prompt, tools (names and descriptions) and messages. */
export function requestText(body: any): string {
  const sys = typeof body?.system === 'string' ? body.system : contentText(body?.system);
  const tools = (body?.tools ?? []).map((t: any) => `${t.name}: ${t.description ?? ''}`).join('\n');
  const msgs = (body?.messages ?? []).map((m: any) => contentText(m.content)).join('\n');
  return [sys, tools, msgs].join('\n');
}

export const toolNames = (body: any): string[] => (body?.tools ?? []).map((t: any) => t.name).filter(Boolean);

/**
 * The requests of the main agent loop: they carry Claude Code's tool set (Bash among them), unlike
 * side requests (title generation, quota checks, summaries) that come with no tools or few.
 */
export const isMainLoop = (body: any): boolean => toolNames(body).includes('Bash');

/** tool_use blocks the model (that is, the fake) emitted so far in this conversation. */
export function toolUsesSoFar(body: any): { id: string; name: string; input: any }[] {
  const out: { id: string; name: string; input: any }[] = [];
  for (const m of body?.messages ?? []) {
    if (m.role !== 'assistant' || !Array.isArray(m.content)) continue;
    for (const b of m.content) if (b?.type === 'tool_use') out.push({ id: b.id, name: b.name, input: b.input });
  }
  return out;
}

/** Names of the tools the fake model already called in this conversation. */
export const calledTools = (body: any): string[] => toolUsesSoFar(body).map((u) => u.name);

/**
 * Calls an MCP tool the way a model must in Claude Code 2.1.x: MCP tools are deferred (only their
 * names are listed in a system reminder), so their schema is loaded with ToolSearch
 * ("select:<name>") first; once loaded the tool is in the request's tool list and can be called.
 */
export function callMcp(body: any, tool: string, input: Record<string, unknown> = {}): Block {
  const name = tool.startsWith('mcp__') ? tool : `mcp__claude-peers__${tool}`;
  if (!toolNames(body).includes(name)) return toolUse('ToolSearch', { query: `select:${name}`, max_results: 5 });
  return toolUse(name, input);
}

/** The tool_result for the last call of a tool by name, as text (undefined when none). */
export function lastResultOf(body: any, name: string): { text: string; isError: boolean } | undefined {
  const uses = toolUsesSoFar(body).filter((u) => u.name === name);
  const last = uses[uses.length - 1];
  if (!last) return undefined;
  for (const m of body?.messages ?? []) {
    if (m.role !== 'user' || !Array.isArray(m.content)) continue;
    for (const b of m.content) if (b?.type === 'tool_result' && b.tool_use_id === last.id) return { text: contentText(b.content), isError: !!b.is_error };
  }
  return undefined;
}

/** The tool_result content for a tool_use id, as text (undefined when not answered yet). */
export function toolResultText(body: any, toolUseId: string): string | undefined {
  for (const m of body?.messages ?? []) {
    if (m.role !== 'user' || !Array.isArray(m.content)) continue;
    for (const b of m.content) if (b?.type === 'tool_result' && b.tool_use_id === toolUseId) return contentText(b.content);
  }
  return undefined;
}

export interface FakeAnthropic {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Only the POST /v1/messages requests. */
  messages(): RecordedRequest[];
  setScript(s: Script): void;
  waitFor(pred: (r: RecordedRequest) => boolean, timeoutMs?: number, what?: string): Promise<RecordedRequest>;
  close(): Promise<void>;
}

let seq = 0;

function sse(res: http.ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function normalise(r: Reply): { blocks: Block[]; stopReason: string } {
  const blocks = Array.isArray(r) ? r : r.blocks;
  const stop = (Array.isArray(r) ? undefined : r.stopReason) ?? (blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
  return { blocks: blocks.length ? blocks : [text('ok')], stopReason: stop };
}

function contentOf(blocks: Block[]): any[] {
  return blocks.map((b) => b.type === 'text'
    ? { type: 'text', text: b.text }
    : { type: 'tool_use', id: b.id ?? `toolu_fake_${++seq}`, name: b.name, input: b.input });
}

/** The default script: a short text answer to everything. */
const DEFAULT: Script = () => [text('ok')];

export async function startFakeAnthropic(script: Script = DEFAULT): Promise<FakeAnthropic> {
  let current = script;
  const requests: RecordedRequest[] = [];
  const listeners = new Set<() => void>();
  const notify = () => { for (const l of [...listeners]) l(); };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: any;
        try { body = raw ? JSON.parse(raw) : null; } catch { body = raw; }
        const path = (req.url ?? '/').split('?')[0];
        const rec: RecordedRequest = { index: requests.length, method: req.method ?? 'GET', path, body, at: Date.now() };
        requests.push(rec);
        notify();
        const json = (status: number, v: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_fake_${rec.index}` });
          res.end(JSON.stringify(v));
        };
        if (req.method === 'POST' && path === '/v1/messages/count_tokens') return json(200, { input_tokens: 100 });
        if (!(req.method === 'POST' && path === '/v1/messages')) {
          if (path === '/v1/models') return json(200, { data: [], has_more: false, first_id: null, last_id: null });
          return json(200, {});
        }
        let reply: { blocks: Block[]; stopReason: string };
        try {
          const idx = requests.filter((r) => r.path === '/v1/messages').length - 1;
          reply = normalise(await current(rec, idx));
        } catch (e) {
          reply = normalise([text(`fake script error: ${(e as Error).message}`)]);
        }
        const id = `msg_fake_${rec.index}`;
        const model = body?.model ?? 'claude-fake';
        const content = contentOf(reply.blocks);
        const usage = { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
        if (!body?.stream) {
          return json(200, { id, type: 'message', role: 'assistant', model, content, stop_reason: reply.stopReason, stop_sequence: null, usage });
        }
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'request-id': `req_fake_${rec.index}` });
        sse(res, 'message_start', {
          type: 'message_start',
          message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
        });
        content.forEach((b, i) => {
          if (b.type === 'text') {
            sse(res, 'content_block_start', { type: 'content_block_start', index: i, content_block: { type: 'text', text: '' } });
            sse(res, 'content_block_delta', { type: 'content_block_delta', index: i, delta: { type: 'text_delta', text: b.text } });
          } else {
            sse(res, 'content_block_start', { type: 'content_block_start', index: i, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
            const js = JSON.stringify(b.input);
            const mid = Math.floor(js.length / 2);
            sse(res, 'content_block_delta', { type: 'content_block_delta', index: i, delta: { type: 'input_json_delta', partial_json: js.slice(0, mid) } });
            sse(res, 'content_block_delta', { type: 'content_block_delta', index: i, delta: { type: 'input_json_delta', partial_json: js.slice(mid) } });
          }
          sse(res, 'content_block_stop', { type: 'content_block_stop', index: i });
        });
        sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: reply.stopReason, stop_sequence: null }, usage: { output_tokens: 20 } });
        sse(res, 'message_stop', { type: 'message_stop' });
        res.end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    messages: () => requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages'),
    setScript(s) { current = s; },
    waitFor(pred, timeoutMs = 20_000, what = 'a request') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = requests.find(pred);
          if (!hit) return false;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`fake Anthropic API: timed out after ${timeoutMs} ms waiting for ${what} (${requests.length} requests seen)`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
