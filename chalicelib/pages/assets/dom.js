// Building elements.  Text is only ever set as text (textContent / text nodes): data from
// sellers and buyers can never become markup.  There is deliberately no way to set
// innerHTML here.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'innerHTML' || name === 'outerHTML') {
      throw new Error('dom.js sets text only');
    } else if (name === 'text') {
      el.textContent = String(value);
    } else if (name === 'value' && 'value' in el) {
      el.value = String(value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** h('button', {type: 'button', onclick: fn}, 'text', otherNode, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** Replace an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A polite live region's text (announced by screen readers). */
export function announce(el, text) {
  el.textContent = '';
  el.textContent = text;
}
