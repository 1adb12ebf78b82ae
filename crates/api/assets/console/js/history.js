// A network's history: every revision, who and when, and each field's old and new value.

import { api, ApiError } from "./api.js";
import { $, el, fill, status } from "./dom.js";
import { date, href, t } from "./i18n.js";

function shown(value) {
  if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) return el("span", { class: "muted" }, t.empty);
  if (typeof value === "object") return el("code", { class: "json" }, JSON.stringify(value, null, 1));
  return String(value);
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
  const items = [...history.body.items].reverse().map((r) =>
    el(
      "section",
      { class: "revision", "aria-labelledby": `rev-${r.version}` },
      el("h2", { id: `rev-${r.version}` }, t.revision(r.version, t.actions[r.action] || r.action, r.actor.name || r.actor.sub, date(r.at, true))),
      r.changes.length === 0
        ? el("p", { class: "muted" }, t.noChanges)
        : el(
            "table",
            { class: "changes" },
            el("caption", { class: "visually-hidden" }, t.revision(r.version, t.actions[r.action] || r.action, r.actor.name || r.actor.sub, date(r.at, true))),
            el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t.field), el("th", { scope: "col" }, t.oldValue), el("th", { scope: "col" }, t.newValue))),
            el(
              "tbody",
              {},
              r.changes.map((c) => el("tr", {}, el("th", { scope: "row" }, c.field), el("td", { class: "old" }, shown(c.old)), el("td", { class: "new" }, shown(c.new)))),
            ),
          ),
    ),
  );
  fill($("content"), el("p", {}, el("a", { href: href(`/console/networks/${id}`) }, t.editNetwork)), ...items);
}
