// Native <select> elements filled from HTML strings. Options are only replaced when they changed
// (replacing them under an open list would close it), and a value set from code never fires
// `change`, so a repaint can never pick a recipient on the human's behalf.
const painted = new WeakMap<HTMLSelectElement, string>();

export function setSelect(select: HTMLSelectElement, optionsHtml: string, value: string): void {
  if (painted.get(select) !== optionsHtml) {
    painted.set(select, optionsHtml);
    select.innerHTML = optionsHtml;
  }
  if (select.value !== value) select.value = value;
}
