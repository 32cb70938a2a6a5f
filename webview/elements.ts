// The elements of the panel's frame (render/shell.ts), looked up once.
export function panelElements() {
  const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
    const e = document.getElementById(id);
    if (!e) throw new Error(`the panel frame has no #${id}`);
    return e as T;
  };
  return {
    status: $('status'), notice: $('notice'), banner: $('banner'), announce: $('announce'),
    peersCount: $('peers-count'), peersToolbar: $('peers-toolbar'), peersList: $('peers-list'),
    locksSection: $('sec-locks'), locksCount: $('locks-count'), locksList: $('locks-list'),
    messagesSection: $('sec-messages'), messagesCount: $('messages-count'), markAll: $<HTMLButtonElement>('mark-all'),
    search: $<HTMLInputElement>('search'), filter: $<HTMLSelectElement>('filter'), streamHead: $('stream-head'),
    streamScroll: $('stream-scroll'), stream: $('stream'), newBelow: $<HTMLButtonElement>('new-below'),
    composer: $<HTMLFormElement>('composer'), replyChip: $('reply-chip'), to: $<HTMLSelectElement>('to'),
    body: $<HTMLTextAreaElement>('body'), send: $<HTMLButtonElement>('send'), sendError: $('send-error'), sendHint: $('send-hint'),
    section: (id: string) => $(`sec-${id}`),
    sectionBody: (id: string) => $(`${id}-body`),
  };
}
export type PanelElements = ReturnType<typeof panelElements>;
