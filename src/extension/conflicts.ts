// File conflicts in the editor: a badge and colour on the file in the Explorer and tabs while two
// live peers touch it, and one warning per new conflict naming both peers, with actions.
import * as vscode from 'vscode';
import { realpathSync } from 'node:fs';
import type { Claim, Conflict } from '../protocol/wire.ts';
import { globMatch, pathKey } from '../common/paths.ts';

const key = pathKey;

function canonical(p: string): string {
  try { return realpathSync.native(p); } catch { return p; }
}

export class ConflictDecorations implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri[] | undefined>();
  readonly onDidChangeFileDecorations = this.emitter.event;
  private byPath = new Map<string, Conflict>();
  private claims: Claim[] = [];

  /** Files claimed by a peer (claim_files) get a quieter badge: someone asked to own them. */
  updateClaims(claims: Claim[]): void {
    this.claims = claims;
    this.emitter.fire(undefined); // claims are patterns: let VS Code ask again for every file
  }

  update(conflicts: Conflict[]): void {
    const before = [...this.byPath.values()].map((c) => vscode.Uri.file(c.path));
    this.byPath = new Map(conflicts.map((c) => [key(canonical(c.path)), c]));
    const after = conflicts.map((c) => vscode.Uri.file(c.path));
    this.emitter.fire([...before, ...after]);
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== 'file') return undefined;
    const c = this.byPath.get(key(canonical(uri.fsPath))) ?? this.byPath.get(key(uri.fsPath));
    if (!c) {
      const claim = this.claims.find((cl) => globMatch(cl.pattern, uri.fsPath));
      if (!claim) return undefined;
      return new vscode.FileDecoration('C', `Claimed by ${claim.peerName}${claim.reason ? `: ${claim.reason}` : ''} (Claude Peers)`, new vscode.ThemeColor('list.warningForeground'));
    }
    const who = c.peers.map((p) => `${p.name} (${p.how === 'claim' ? 'claimed' : 'edited'})`).join(' and ');
    const d = new vscode.FileDecoration('⚠', `Claude Peers conflict: ${who}`, new vscode.ThemeColor('list.errorForeground'));
    d.propagate = true;
    return d;
  }

  dispose(): void { this.emitter.dispose(); }
}

/** The identity of a conflict for "have we warned about this one yet". */
export function conflictKey(c: Conflict): string {
  return `${key(c.path)}|${c.peers.map((p) => p.id).sort().join(',')}`;
}

export function describeConflict(c: Conflict): string {
  const names = c.peers.map((p) => p.name);
  const who = names.length === 2 ? `${names[0]} and ${names[1]}` : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  const claimed = c.peers.some((p) => p.how === 'claim');
  return `${who} ${claimed ? 'both work on' : 'both edited'} ${vscode.workspace.asRelativePath(c.path)}.`;
}
