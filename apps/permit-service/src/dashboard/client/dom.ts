/** DOM building: data always goes in as text (textContent, text nodes, attributes), never as HTML. */

const SVGNS = 'http://www.w3.org/2000/svg';

/** Attribute values; `text` sets the element's text. A null, undefined or false attribute is left out. */
export type Attrs = Record<string, string | number | boolean | null | undefined>;
/** Children; a string or number becomes a text node, and null, undefined or false is skipped. */
export type Kid = Node | string | number | null | undefined | false;

/** An element of the page by id; the page's HTML holds every id the script asks for. */
export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}

/** An element of the page by id that must be of the given kind (an input, a select, a button). */
export function $as<T extends HTMLElement>(id: string, kind: { new (): T; prototype: T }): T {
  const el = $(id);
  if (!(el instanceof kind)) throw new Error(`#${id} is not a ${kind.name}`);
  return el;
}

function build<E extends Element>(el: E, attrs?: Attrs | null, kids?: Kid[]): E {
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') el.textContent = String(v);
      else el.setAttribute(k, String(v));
    }
  }
  for (const c of kids ?? []) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, kids?: Kid[]): HTMLElementTagNameMap[K] {
  return build(document.createElement(tag), attrs, kids);
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs | null, kids?: Kid[]): SVGElementTagNameMap[K] {
  return build(document.createElementNS(SVGNS, tag), attrs, kids);
}

export function clear<E extends Element>(el: E): E {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** A `<time>` element: the machine-readable instant, shown as `text`. */
export function time(iso: string, text: string): HTMLTimeElement {
  return h('time', { datetime: iso, text });
}
