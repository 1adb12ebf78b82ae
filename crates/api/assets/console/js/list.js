// "My networks" (a ROS adviser's own) and "All networks" (IKNL staff): every state.

import { api } from "./api.js";
import { $, el, fill, status } from "./dom.js";
import { date, href, t } from "./i18n.js";

export async function networkList(ctx, page = 1) {
  const title = ctx.staff ? t.allNetworks : t.myNetworks;
  ctx.title(title);
  status(t.loading);
  const query = new URLSearchParams({ state: "draft,submitted,published,archived", per_page: "50", page: String(page) });
  const { body: list } = await api(`/v1/networks?${query}`);
  const content = $("content");
  content.replaceChildren();
  status(t.count(list.page.total_items));
  content.append(el("p", {}, el("a", { class: "button primary", href: href("/console/networks/new") }, t.newNetwork)));
  if (list.items.length === 0) {
    content.append(el("p", { class: "empty" }, t.none));
    return;
  }
  const head = el("tr", {}, [t.name, t.type, t.state, t.lifecycle, t.qualified, t.lastVerified].map((h) => el("th", { scope: "col" }, h)));
  const rows = list.items.map((n) => {
    const q = n.qualification;
    const verified = date(n.last_verified_at) + (n.verification_overdue ? ` (${t.overdue})` : "");
    return el(
      "tr",
      { "data-id": n.id },
      el("th", { scope: "row" }, el("a", { href: href(`/console/networks/${n.id}`) }, n.name)),
      el("td", {}, ctx.label("network_types", n.type)),
      el("td", {}, el("span", { class: `state state-${n.state}` }, t.states[n.state] || n.state)),
      el("td", {}, t.lifecycles[n.lifecycle] || n.lifecycle),
      el("td", {}, q.applicable ? (q.qualified ? t.yes : t.no) : t.notApplicable),
      el("td", {}, verified),
    );
  });
  content.append(el("table", { id: "networks" }, el("caption", { class: "visually-hidden" }, title), el("thead", {}, head), el("tbody", {}, rows)));
  const pages = list.page.total_pages;
  if (pages > 1) {
    const label = t.page(page, pages, list.page.total_items);
    content.append(
      el(
        "nav",
        { class: "pager", "aria-label": label },
        el("button", { type: "button", disabled: page <= 1, onclick: () => networkList(ctx, page - 1) }, t.previous),
        el("span", {}, label),
        el("button", { type: "button", disabled: page >= pages, onclick: () => networkList(ctx, page + 1) }, t.next),
      ),
    );
  }
}
