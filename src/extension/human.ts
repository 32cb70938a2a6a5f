// The human at the keyboard as a sender and a reader: messages from VS Code (the panel's composer,
// the command palette, a notification's Reply), confirmed when they go to a group, and the replies
// to the human marked read once shown. Sends and acks go through the directory's BrokerClient.
import * as vscode from 'vscode';
import type { PeerDirectory } from '../client/directory.ts';
import { sentSummary, type SendResult } from '../protocol/panel.ts';
import { HUMAN_ID, type Peer, type SendResponse } from '../protocol/wire.ts';
import { resolveTarget, unreadToHuman } from './human-rules.ts';


export class HumanDesk {
  constructor(private readonly dir: PeerDirectory, private readonly log: vscode.LogOutputChannel) {}

  /** Sends to a live peer id or a group ('machine', 'under:<folder>'); a group is confirmed first. */
  async send(to: string, body: string, replyTo?: number): Promise<SendResult> {
    const text = body.trim();
    if (!text) throw new Error('The message is empty: type something to send.');
    const target = resolveTarget(to, this.dir.snapshot().peers);
    if (target.kind === 'scope') {
      const names = target.peers.map((p) => p.name);
      const shown = names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${names.length - 8} more` : names.join(', ');
      const choice = await vscode.window.showWarningMessage(
        `Send this message to ${target.label} (${names.length})?`,
        { modal: true, detail: `${shown} will each get it, as a message from you.` },
        'Send to All',
      );
      if (choice !== 'Send to All') return { sent: false, recipients: [] };
    }
    const r = await this.dir.brokerClient.post<SendResponse>('/messages', { to, body: text, replyTo, via: 'panel' });
    const recipients = r.messages.map((m) => m.toName);
    this.log.info(`The human sent message ${r.messages[0]?.id ?? '?'} to ${recipients.join(', ') || 'nobody'}.`);
    return { sent: true, recipients };
  }

  /** One message to each of several live peers (conflicts' "Message Both"). */
  async sendEach(peerIds: string[], body: string, replyTo?: number): Promise<SendResult> {
    for (const id of peerIds) resolveTarget(id, this.dir.snapshot().peers); // all or none
    const results = await Promise.allSettled(peerIds.map((id) => this.send(id, body, replyTo)));
    const recipients = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.recipients : []));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) {
      const why = failed.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join('; ');
      throw new Error(failed.length === peerIds.length ? why : `Sent to ${recipients.join(' and ')}, not to the others: ${why}`);
    }
    return { sent: true, recipients };
  }

  /** Marks messages to the human read; `ids` null for all of them. Returns how many changed. */
  async markRead(ids: readonly number[] | null): Promise<number> {
    const unread = unreadToHuman(ids, this.dir.snapshot().messages);
    if (!unread.length) return 0;
    const r = await this.dir.brokerClient.post<{ changed: number[] }>(`/peers/${HUMAN_ID}/ack`, { ids: unread, state: 'read' });
    return r.changed?.length ?? unread.length;
  }

  /** The command palette's flow: pick a peer (unless given), type, send, and say where it went. */
  async sendFlow(peerIds?: string[], prefill = '', replyTo?: number): Promise<void> {
    let ids = peerIds;
    if (!ids?.length) {
      const p = await pickPeer(this.dir, 'Send a message to which session?');
      if (!p) return;
      ids = [p.id];
    }
    const names = ids.map((id) => this.dir.peer(id)?.name ?? id).join(' and ');
    const body = await vscode.window.showInputBox({
      title: `Message to ${names}`,
      prompt: 'Sent as you (the human). The session sees it as a message from you and can reply; replies show in the Peers panel.',
      value: prefill,
      validateInput: (v) => (v.trim() ? undefined : 'Type a message, or press Escape to cancel.'),
    });
    if (!body) return;
    try {
      const r = ids.length === 1 ? await this.send(ids[0], body, replyTo) : await this.sendEach(ids, body, replyTo);
      if (replyTo !== undefined) await this.markRead([replyTo]).catch(() => 0);
      if (r.sent) void vscode.window.showInformationMessage(`Claude Peers: ${sentSummary(r.recipients)}.`);
    } catch (e) {
      void vscode.window.showErrorMessage(`Claude Peers: the message to ${names} was not sent: ${(e as Error).message}`);
    }
  }
}

export async function pickPeer(dir: PeerDirectory, placeHolder: string, newTerminal?: () => void): Promise<Peer | undefined> {
  const live = dir.livePeers();
  if (!live.length) {
    const pick = await vscode.window.showInformationMessage('Claude Peers: no live session yet. Start one by running claude in a terminal.', 'New Claude Terminal');
    if (pick) {
      if (newTerminal) newTerminal(); else await vscode.commands.executeCommand('claudePeers.newSession');
    }
    return undefined;
  }
  const item = await vscode.window.showQuickPick(
    live.map((p) => ({
      label: p.name,
      description: [p.status === 'waiting' ? 'waiting for you' : p.status, p.host, vscode.workspace.asRelativePath(p.cwd), p.branch].filter(Boolean).join(' · '),
      detail: p.kind === 'native' ? 'Claude Code without Claude Peers' : (p.summary ?? p.task ?? undefined),
      peer: p,
    })),
    { placeHolder, matchOnDescription: true, matchOnDetail: true },
  );
  return item?.peer;
}
