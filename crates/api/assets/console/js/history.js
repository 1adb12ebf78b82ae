// A network's history: every revision, who and when, and each field's old and new value.

import { api, ApiError } from "./api.js";
import { $, el, fill, status } from "./dom.js";
import { date, href, t } from "./i18n.js";

function shown(value) {
  if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) return el("span", { class: "muted" }, t.empty);
  if (typeof value === "object") return el("code", { class: "json" }, JSON.stringify(value, null, 1));
  return String(value);
}

/** Field changes `[{field, old, new}]` as a table of old and new values (history and review). */
export function changesTable(caption, changes, oldHeader = t.oldValue, newHeader = t.newValue) {
  return el(
    "table",
    { class: "changes" },
    el("caption", { class: "visually-hidden" }, caption),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t.field), el("th", { scope: "col" }, oldHeader), el("th", { scope: "col" }, newHeader))),
    el("tbody", {}, changes.map((c) => el("tr", { "data-field": c.field }, el("th", { scope: "row" }, c.field), el("td", { class: "old" }, shown(c.old)), el("td", { class: "new" }, shown(c.new))))),
  );
}

export async function networkHistory(ctx, id) {
  ctx.title(t.history);
  status(t.loading);
  let network;
  let history;
  try {
    [network, history] = await Promise.all([api(`/v1/networks/${id}`), api(`/v1/networks/${id}/history`)]);
  } catch (e) {
    if (e instanceof ApiError && [403, 404].includes(e.status)) return ctx.refused(e.status);
    throw e;
  }
  ctx.title(`${t.history}: ${network.body.name}`);
  status("");
  const items = [...history.body.items].reverse().map((r) => {
    const heading = t.revision(r.version, t.actions[r.action] || r.action, r.actor.name || r.actor.sub, date(r.at, true));
    return el(
      "section",
      { class: "revision", "aria-labelledby": `rev-${r.version}` },
      el("h2", { id: `rev-${r.version}` }, heading),
      r.changes.length === 0 ? el("p", { class: "muted" }, t.noChanges) : changesTable(heading, r.changes),
    );
  });
  fill($("content"), el("p", {}, el("a", { href: href(`/console/networks/${id}`) }, t.editNetwork)), ...items);
}
