// Building the page from data without innerHTML: text is always text.

export const $ = (id) => document.getElementById(id);

/**
 * An element. `attrs`: `class`, `on<event>` (a function), boolean attributes as true/false,
 * `null`/`undefined` values skipped; children: nodes, strings, numbers, arrays, falsy skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k === "value") node.value = v;
    else if (k === "checked") node.checked = Boolean(v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `node` (arrays flattened, falsy skipped, as in `el`). */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** Says `message` politely to screen readers and on screen. */
export function status(message) {
  $("status").textContent = message || "";
}

/** Shows `message` as an alert (empty clears it). */
export function alert(message) {
  $("alert").textContent = message || "";
}
