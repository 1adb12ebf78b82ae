// IKNL staff: the review queue. Submitted networks, the one waiting longest first, each with
// what changed since its published version; "Publish", or "Send back" with a reason. Below
// them, the changes advisers proposed to published networks (and their "still correct"):
// "Accept", or "Reject" with a reason.

import { api, ApiError } from "./api.js";
import { $, alert, el, fill, status } from "./dom.js";
import { date, href, t } from "./i18n.js";
import { changesTable } from "./history.js";
import { sincePublished } from "./merge.js";

export async function reviewQueue(ctx) {
  ctx.title(t.reviewQueue);
  if (!ctx.staff) return ctx.refused(403, t.reviewStaffOnly);
  status(t.loading);
  const { body } = await api("/v1/networks?state=submitted&sort=updated_at&per_page=100");
  const proposals = (await api("/v1/proposals?per_page=100")).body;
  status(t.waiting(body.page.total_items));
  const section = proposalQueue(ctx, proposals.items);
  if (body.items.length === 0) {
    fill($("content"), el("p", { class: "empty", id: "queue-empty" }, t.queueEmpty), section);
    return;
  }
  fill(
    $("content"),
    el(
      "ol",
      { class: "queue", id: "queue" },
      body.items.map((n) => {
        const panel = el("div", { class: "review-panel", id: `review-${n.id}`, hidden: true });
        const open = el(
          "button",
          { type: "button", class: "add", "aria-expanded": "false", "aria-controls": panel.id, onclick: () => toggle(n, open, panel) },
          t.review(n.name),
        );
        return el(
          "li",
          { class: "queued", "data-id": n.id },
          el("h2", {}, el("a", { href: href(`/console/networks/${n.id}`) }, n.name)),
          el("p", { class: "meta" }, `${ctx.label("network_types", n.type)} · ${n.ros_org || "—"} · ${t.submittedOn(date(n.updated_at, true))}`),
          open,
          panel,
        );
      }),
    ),
    section,
  );
}

/** The pending proposals, oldest first, each with its changes and the two decisions. */
function proposalQueue(ctx, items) {
  return el(
    "section",
    { id: "proposals", "aria-labelledby": "proposals-title" },
    el("h2", { id: "proposals-title" }, t.proposalsTitle),
    items.length === 0
      ? el("p", { class: "empty" }, t.proposalsEmpty)
      : el("ol", { class: "queue", id: "proposal-queue" }, items.map((p) => proposalItem(ctx, p))),
  );
}

function proposalItem(ctx, p) {
  const reasonId = `reason-${p.id}`;
  const reason = el("textarea", { id: reasonId, rows: "2", "aria-describedby": `${reasonId}-error` });
  const reasonError = el("span", { id: `${reasonId}-error`, class: "field-error" });
  const changes = p.changes.filter((c) => c.field !== "proposal");
  const item = el(
    "li",
    { class: "queued proposal", "data-id": p.id, "data-kind": p.kind },
    el("h3", {}, el("a", { href: href(`/console/networks/${p.network_id}`) }, p.network_name || p.network_id), ` · ${t.proposalKinds[p.kind] || p.kind}`),
    el("p", { class: "meta" }, t.proposalBy(p.proposed_by.name || p.proposed_by.sub, date(p.created_at, true))),
    p.note ? el("p", {}, t.proposalNote(p.note)) : null,
    changes.length ? changesTable(t.proposalsTitle, changes, t.currentValue, t.proposedValue) : null,
    el("div", { class: "actions" }, el("button", { type: "button", class: "primary", onclick: () => decide("accepted") }, t.accept)),
    el("p", { class: "field" }, el("label", { for: reasonId }, t.rejectReason), reason, reasonError),
    el("div", { class: "actions" }, el("button", { type: "button", onclick: () => decide("rejected") }, t.reject)),
  );
  const name = p.network_name || p.network_id;
  async function decide(to) {
    alert("");
    reasonError.textContent = "";
    reason.removeAttribute("aria-invalid");
    const text = reason.value.trim();
    if (to === "rejected" && !text) {
      reasonError.textContent = t.reasonRequired;
      reason.setAttribute("aria-invalid", "true");
      reason.focus();
      return;
    }
    try {
      await api(`${p.href}/transitions`, { method: "POST", json: text ? { to, reason: text } : { to }, headers: { "If-Match": `"v${p.version}"` } });
      item.remove();
      status(to === "accepted" ? t.acceptedNamed(name) : t.rejectedNamed(name));
      $("main").focus();
      if (!document.querySelector("#proposal-queue li")) fill($("proposals"), el("h2", { id: "proposals-title" }, t.proposalsTitle), el("p", { class: "empty" }, t.proposalsEmpty));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (e.status === 412) alert(t.changedMeanwhile);
      else if (e.status !== 401) alert(e.message);
    }
  }
  return item;
}

async function toggle(network, button, panel) {
  const opening = panel.hidden;
  panel.hidden = !opening;
  button.setAttribute("aria-expanded", String(opening));
  if (!opening || panel.dataset.loaded) return;
  panel.dataset.loaded = "1";
  fill(panel, el("p", {}, t.loading));
  const [current, history] = await Promise.all([api(`/v1/networks/${network.id}`, { cache: "no-store" }), api(`/v1/networks/${network.id}/history`)]);
  const diff = sincePublished(history.body.items);
  const q = current.body.qualification;
  const reasonId = `reason-${network.id}`;
  const reason = el("textarea", { id: reasonId, rows: "2", "aria-describedby": `${reasonId}-error` });
  const reasonError = el("span", { id: `${reasonId}-error`, class: "field-error" });
  reason.addEventListener("input", () => {
    reasonError.textContent = "";
    reason.removeAttribute("aria-invalid");
  });
  const act = async (to) => {
    alert("");
    if (to === "draft" && !reason.value.trim()) {
      reasonError.textContent = t.reasonRequired;
      reason.setAttribute("aria-invalid", "true");
      reason.focus();
      return;
    }
    try {
      await api(`/v1/networks/${network.id}/transitions`, {
        method: "POST",
        json: to === "draft" ? { to, reason: reason.value.trim() } : { to },
        headers: { "If-Match": current.etag },
      });
      const item = panel.closest("li");
      item.remove();
      status(to === "published" ? t.publishedNamed(network.name) : t.sentBackNamed(network.name));
      $("main").focus();
      if (!document.querySelector("#queue li")) fill($("content"), el("p", { class: "empty" }, t.queueEmpty));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (e.status === 412) alert(t.changedMeanwhile);
      else if (e.status !== 401) alert(e.message);
    }
  };
  fill(
    panel,
    el("h3", {}, diff.published ? t.changesSincePublished : t.neverPublished),
    diff.changes.length === 0
      ? el("p", { class: "muted" }, t.noChanges)
      : changesTable(diff.published ? t.changesSincePublished : t.neverPublished, diff.changes, diff.published ? t.publishedValue : t.oldValue, t.submittedValue),
    q.applicable ? el("p", {}, q.qualified ? t.qualifiedYes : t.qualifiedNo, ` ${t.criteriaMet(q.criteria.filter((c) => c.met === true).length)}`) : null,
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", class: "primary", onclick: () => act("published") }, t.publish),
    ),
    el("p", { class: "field" }, el("label", { for: reasonId }, t.reason), reason, reasonError),
    el("div", { class: "actions" }, el("button", { type: "button", onclick: () => act("draft") }, t.sendBack)),
  );
}
