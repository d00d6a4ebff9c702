/** A child of `h`: nodes and text; null, undefined and false are left out (conditional parts). */
export type Child = Node | string | number | null | undefined | false;

type Props = Record<string, string | number | boolean | null | undefined | EventListener>;

/**
 * Builds an element: string, number and `true` props become attributes, `on*` functions event
 * listeners. Text is always text (never parsed as HTML), so data cannot inject markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined)
      element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

let ids = 0;
/** A unique id, for tying labels to their controls. */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/** A labelled form control; `control` gets an id and, for hints, aria-describedby. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || uid('field');
  control.id = id;
  const hintEl = hint ? h('small', { id: `${id}-hint`, class: 'hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

export function dropdown(
  name: string,
  options: Array<[value: string, label: string]>,
  selected?: string,
): HTMLSelectElement {
  return h(
    'select',
    { name },
    options.map(([value, label]) => h('option', { value, selected: value === selected }, label)),
  );
}

export const loading = (what: string) =>
  h('p', { class: 'loading', role: 'status' }, `Loading ${what}…`);

export const empty = (text: string) => h('p', { class: 'empty' }, text);

export const errorBox = (message: string) => h('p', { class: 'error', role: 'alert' }, message);

/** A table with a caption and column headers; rows are cells already built. */
export function table(caption: string, headers: string[], rows: Child[][]): HTMLTableElement {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((cells) =>
        h(
          'tr',
          {},
          cells.map((c) => h('td', {}, c)),
        ),
      ),
    ),
  );
}

export const when = (iso: string | null | undefined) =>
  iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '—';

/** `datetime-local` input value (UTC) → epoch ms; empty → undefined. */
export function epochFromInput(value: string): number | undefined {
  if (!value) return undefined;
  const at = Date.parse(`${value}Z`);
  return Number.isNaN(at) ? undefined : at;
}
