// Create and edit a network. The form is a view of one profile document (`state.doc`, the
// JSON that PATCH and the preview take); every input's JSON pointer is its place in that
// document, so the API's 422 field errors land next to their fields. While the user types,
// POST /v1/networks/preview checks the document by the server's rules and derives its area:
// the LOPPSOZ list and the km² follow the form. Saving sends a merge patch with If-Match; on
// a 412 the user sees what someone else changed and re-applies their own changes on top.

import { api, ApiError, beforeSignIn } from "./api.js";
import { $, alert, el, fill, status } from "./dom.js";
import { date, href, lang, number, t } from "./i18n.js";
import { attachAreaEditor, showDerivedArea } from "./map.js";
import { changedFields, documentOf, mergePatch, rebase, same, threeWay } from "./merge.js";

const FIELD_LABELS = () => ({
  name: t.name, type: t.type, scale: t.scale, parent_id: "parent_id", lifecycle: t.lifecycle,
  description: t.description, website: t.website, disciplines: t.disciplines,
  tumour_types: t.tumourTypes, financing: t.financing, contacts: t.contacts, members: t.members,
  links: "links", ros_org: t.rosOrg, service_area: t.serviceArea, quality: t.quality,
  consultation: t.consultation, founded_on: t.foundedOn, meeting_frequency: t.meetingFrequency,
  mdo: t.mdo, partners: t.partners,
});

const EMPTY_DOC = () => ({
  name: "", type: "oncology_care_network", scale: "local", parent_id: null, lifecycle: "in_formation",
  description: { nl: null, en: null }, website: null, disciplines: [], tumour_types: [], financing: [],
  contacts: [], members: [], links: [], ros_org: null,
  service_area: { municipalities: [], postcodes: [], geometry: null, circles: [] },
  quality: { minimum_participation: null, written_vision: null, non_profit: null, assessed_at: null },
  consultation: null, founded_on: null, meeting_frequency: null, mdo: null, partners: [],
});

// --- JSON pointers into the document --------------------------------------------------------

function tokens(pointer) {
  return pointer.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export function getAt(doc, pointer) {
  let v = doc;
  for (const k of tokens(pointer)) {
    if (v === null || v === undefined) return undefined;
    v = v[k];
  }
  return v;
}

export function setAt(doc, pointer, value) {
  const keys = tokens(pointer);
  let v = doc;
  for (const k of keys.slice(0, -1)) {
    if (v[k] === null || v[k] === undefined) v[k] = {};
    v = v[k];
  }
  v[keys[keys.length - 1]] = value;
}

const idOf = (pointer) => `f${pointer.replace(/[^A-Za-z0-9]/g, "-")}`;

// --- the form -------------------------------------------------------------------------------

export async function networkForm(ctx, id) {
  const draftKey = `onconet-draft:${location.pathname}`;
  const state = { id, base: null, doc: EMPTY_DOC(), etag: null, network: null, preview: null, seq: 0, controller: null };
  if (id) {
    status(t.loading);
    let r;
    try {
      r = await api(`/v1/networks/${id}`, { cache: "no-store" });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return ctx.refused(404);
      throw e;
    }
    if (!ctx.mayEdit(r.body)) return ctx.refused(403);
    state.network = r.body;
    state.etag = r.etag;
    state.base = documentOf(r.body);
    state.doc = documentOf(r.body);
    await loadProposal(ctx, state);
  } else if (!ctx.me.roles.length) {
    return ctx.refused(403);
  }
  // Signed out while editing: what was typed is kept for this page and restored after sign-in.
  let restored = false;
  try {
    const kept = JSON.parse(sessionStorage.getItem(draftKey) || "null");
    if (kept && kept.doc) {
      state.doc = kept.doc;
      if (kept.base) state.base = kept.base;
      if (kept.etag) state.etag = kept.etag;
      restored = true;
    }
  } catch (_) {
    /* nothing kept */
  }
  sessionStorage.removeItem(draftKey);
  beforeSignIn(() => sessionStorage.setItem(draftKey, JSON.stringify({ doc: state.doc, base: state.base, etag: state.etag })));

  // Drawing the form again keeps the keyboard where it was (on Save, a checkbox, …): a
  // focused element that is replaced would leave the focus on the page's body.
  const render = () => {
    const focused = document.activeElement?.id;
    renderForm(ctx, state);
    if (focused && document.activeElement?.id !== focused) document.getElementById(focused)?.focus();
  };
  state.render = render;
  render();
  status(restored ? t.restored : "");
  schedulePreview(ctx, state, 0);
}

function heading(ctx, state) {
  if (!state.id) return ctx.title(t.newNetwork);
  ctx.title(state.doc.name || state.network.name);
}

function renderForm(ctx, state) {
  heading(ctx, state);
  const staff = ctx.staff;
  const v = ctx.vocabularies;
  const options = (list) => list.map((e) => ({ value: e.code, label: e.label }));
  const enumOptions = (labels) => Object.entries(labels).map(([value, label]) => ({ value, label }));
  const changed = () => onChange(ctx, state);

  const f = new Fields(state, changed);
  const form = el(
    "form",
    { id: "network-form", class: "network-form", novalidate: true, onsubmit: (e) => { e.preventDefault(); save(ctx, state); } },
    el("div", { id: "conflict", class: "conflict", hidden: true }),
    el("div", { id: "error-summary", class: "error-summary", tabindex: "-1", hidden: true }),
    el(
      "fieldset",
      {},
      el("legend", {}, t.basics),
      f.text("/name", t.name, { required: true, autocomplete: "off" }),
      f.select("/type", t.type, options(v.network_types), { rerender: true }),
      f.select("/scale", t.scale, enumOptions(t.scales)),
      f.select("/lifecycle", t.lifecycle, enumOptions(t.lifecycles)),
      f.text("/website", t.website, { type: "url", placeholder: "https://" }),
      f.textarea("/description/nl", t.descriptionNl, { lang: "nl" }),
      f.textarea("/description/en", t.descriptionEn, { lang: "en" }),
      staff ? f.text("/ros_org", t.rosOrg, { hint: t.rosOrgHint, spellcheck: "false" }) : null,
    ),
    f.checkboxes("/disciplines", t.disciplines, options(v.disciplines)),
    f.checkboxes("/tumour_types", t.tumourTypes, options(v.tumour_types)),
    f.rows("/financing", t.financing, t.financingRow, () => ({ form: v.financing_forms[0].code, funder: null, since: null, until: null, note: null }), (p, item) => [
      f.select(`${p}/form`, t.financingForm, options(v.financing_forms), { rerender: true }),
      f.text(`${p}/funder`, t.funder),
      f.optional(`${p}/funder_id`, t.hasFunderId, () => ({ register: "uzovi", code: "" }), (q) => [
        f.select(`${q}/register`, t.funderRegister, enumOptions(t.registers)),
        f.text(`${q}/code`, t.funderCode, { spellcheck: "false", autocomplete: "off" }),
      ]),
      f.text(`${p}/since`, t.since, { type: "date" }),
      f.text(`${p}/until`, t.until, { type: "date" }),
      f.text(`${p}/note`, t.note),
      toolboxFor(ctx, state, item.form, idOf(p)),
    ]),
    f.rows("/contacts", t.contacts, t.contactRow, () => ({ role: "coordinator", name: "", email: null, phone: null, public: false }), (p, item) => [
      el("p", { class: item.public ? "badge public" : "badge private" }, item.public ? t.publicContact : t.privateContact),
      f.select(`${p}/role`, t.role, enumOptions(t.contactRoles)),
      f.text(`${p}/name`, t.name, { required: true, autocomplete: "off" }),
      f.text(`${p}/email`, t.email, { type: "email", autocomplete: "off" }),
      f.text(`${p}/phone`, t.phone, { type: "tel", autocomplete: "off" }),
      f.checkbox(`${p}/public`, t.publicContact, { rerender: true }),
    ]),
    f.rows("/members", t.members, t.memberRow, () => ({ name: "", kind: "practice", discipline: null, agb: null, kvk: null, location: null, valid_from: null, valid_to: null, in_verwijsgids: false }), (p) => [
      f.text(`${p}/name`, t.name, { required: true, autocomplete: "off" }),
      f.select(`${p}/kind`, t.memberKind, enumOptions(t.memberKinds)),
      f.select(`${p}/discipline`, t.discipline, options(v.disciplines), { empty: t.none_ }),
      f.text(`${p}/agb`, t.agb, { inputmode: "numeric" }),
      f.text(`${p}/kvk`, t.kvk, { inputmode: "numeric" }),
      f.text(`${p}/valid_from`, t.validFrom, { type: "date" }),
      f.text(`${p}/valid_to`, t.validTo, { type: "date" }),
      f.checkbox(`${p}/in_verwijsgids`, t.inVerwijsgids),
      HOSPITAL_LED.includes(state.doc.type)
        ? f.rows(`${p}/roles`, t.memberRoles, t.memberRoleRow, () => ({ tumour_type: v.tumour_types[0].code, roles: ["treatment"] }), (q) => [
          f.select(`${q}/tumour_type`, t.memberRoleRow, options(v.tumour_types)),
          f.checkboxes(`${q}/roles`, t.careRolesLegend, enumOptions(t.careRoles)),
        ])
        : null,
    ]),
    programmeFields(state, f, options, enumOptions),
    el(
      "fieldset",
      { id: "service-area" },
      el("legend", {}, t.serviceArea),
      el("div", { id: "area-editor" }),
      f.codes("/service_area/municipalities", t.municipalities, { hint: t.municipalitiesHint, upper: true }),
      f.codes("/service_area/postcodes", t.postcodes, { hint: t.postcodesHint }),
      f.rows("/service_area/circles", t.circles, t.circleRow, () => ({ lat: 52.1, lon: 5.1, radius_km: 10 }), (p) => [
        f.number(`${p}/lat`, t.latitude, { step: "any" }),
        f.number(`${p}/lon`, t.longitude, { step: "any" }),
        f.number(`${p}/radius_km`, t.radiusKm, { step: "any", min: "0" }),
      ]),
      state.doc.service_area.geometry ? el("p", { class: "hint" }, t.geometryKept) : null,
    ),
    el(
      "fieldset",
      {},
      el("legend", {}, t.attestations),
      staff ? null : el("p", { class: "hint" }, t.attestedOnly),
      f.tristate("/quality/minimum_participation", t.minimumParticipation, { disabled: !staff }),
      f.tristate("/quality/written_vision", t.writtenVision, { disabled: !staff }),
      f.tristate("/quality/non_profit", t.nonProfit, { disabled: !staff }),
    ),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "submit", class: "primary", id: "save" }, t.save),
      state.id && ["draft"].includes(state.network.state)
        ? el("button", { type: "button", id: "submit-review", onclick: () => submitForReview(ctx, state) }, t.submit)
        : null,
      state.id ? el("a", { href: href(`/console/networks/${state.id}/history`) }, t.history) : null,
      el("span", { id: "dirty", class: "hint", "aria-live": "polite" }),
    ),
  );
  const side = el(
    "aside",
    { class: "side", "aria-labelledby": "loppsoz-title" },
    el("h2", { id: "loppsoz-title" }, t.quality),
    el("div", { id: "loppsoz", "aria-live": "polite" }),
    el("h2", {}, t.serviceArea),
    el("p", { id: "area-summary", "aria-live": "polite" }),
  );
  const meta = state.network
    ? el("p", { class: "meta" }, el("span", { class: `state state-${state.network.state}` }, t.states[state.network.state]), ` · v${state.network.version}`)
    : null;
  fill($("content"), meta || "", proposalSection(ctx, state), verifySection(ctx, state), el("div", { class: "editor" }, form, side));
  attachAreaEditor(state, changed).then(() => showDerivedArea(state.preview));
  renderPreview(state);
  markDirty(state);
}

/** Builders of inputs bound to the document by JSON pointer. */
class Fields {
  constructor(state, changed) {
    this.state = state;
    this.changed = changed;
  }

  wrap(pointer, label, control, hint) {
    const id = idOf(pointer);
    const hintId = hint ? `${id}-hint` : null;
    const errorId = `${id}-error`;
    control.id = id;
    control.dataset.pointer = pointer;
    control.setAttribute("aria-describedby", [hintId, errorId].filter(Boolean).join(" "));
    return el(
      "p",
      { class: "field", "data-field": pointer },
      el("label", { for: id }, label),
      control,
      hint ? el("span", { id: hintId, class: "hint" }, hint) : null,
      el("span", { id: errorId, class: "field-error", "data-error-for": pointer }),
    );
  }

  text(pointer, label, opts = {}) {
    const value = getAt(this.state.doc, pointer);
    const input = el("input", {
      type: opts.type || "text", value: value ?? "", required: opts.required, placeholder: opts.placeholder,
      autocomplete: opts.autocomplete, spellcheck: opts.spellcheck, inputmode: opts.inputmode,
      oninput: (e) => { setAt(this.state.doc, pointer, e.target.value === "" && !opts.required ? null : e.target.value); this.changed(); },
    });
    return this.wrap(pointer, label, input, opts.hint);
  }

  textarea(pointer, label, opts = {}) {
    const area = el("textarea", { rows: "3", lang: opts.lang, oninput: (e) => { setAt(this.state.doc, pointer, e.target.value === "" ? null : e.target.value); this.changed(); } });
    area.value = getAt(this.state.doc, pointer) ?? "";
    return this.wrap(pointer, label, area, opts.hint);
  }

  number(pointer, label, opts = {}) {
    const value = getAt(this.state.doc, pointer);
    const input = el("input", {
      type: "number", step: opts.step, min: opts.min, value: value ?? "", inputmode: "decimal",
      oninput: (e) => { const n = e.target.valueAsNumber; setAt(this.state.doc, pointer, Number.isFinite(n) ? n : null); this.changed(); },
    });
    return this.wrap(pointer, label, input, opts.hint);
  }

  select(pointer, label, options, opts = {}) {
    const value = getAt(this.state.doc, pointer);
    const select = el(
      "select",
      { onchange: (e) => { setAt(this.state.doc, pointer, e.target.value === "" ? null : e.target.value); this.changed(); if (opts.rerender) this.state.render(); } },
      opts.empty !== undefined ? el("option", { value: "" }, opts.empty) : null,
      options.map((o) => el("option", { value: o.value, selected: o.value === value }, o.label)),
    );
    return this.wrap(pointer, label, select, opts.hint);
  }

  tristate(pointer, label, opts = {}) {
    const value = getAt(this.state.doc, pointer);
    const current = value === true ? "true" : value === false ? "false" : "";
    const select = el(
      "select",
      { disabled: opts.disabled, onchange: (e) => { setAt(this.state.doc, pointer, e.target.value === "" ? null : e.target.value === "true"); this.changed(); } },
      [["", t.unknown], ["true", t.yes], ["false", t.no]].map(([v, l]) => el("option", { value: v, selected: v === current }, l)),
    );
    return this.wrap(pointer, label, select);
  }

  checkbox(pointer, label, opts = {}) {
    const id = idOf(pointer);
    const input = el("input", {
      type: "checkbox", id, checked: Boolean(getAt(this.state.doc, pointer)), "data-pointer": pointer,
      "aria-describedby": `${id}-error`,
      onchange: (e) => { setAt(this.state.doc, pointer, e.target.checked); this.changed(); if (opts.rerender) this.state.render(); },
    });
    return el("p", { class: "field check", "data-field": pointer }, input, el("label", { for: id }, label), el("span", { id: `${id}-error`, class: "field-error", "data-error-for": pointer }));
  }

  /** A list of codes typed as text ("GM0014, GM0034"). */
  codes(pointer, label, opts = {}) {
    const value = getAt(this.state.doc, pointer) || [];
    const input = el("input", {
      type: "text", value: value.join(", "), spellcheck: "false", autocomplete: "off",
      oninput: (e) => {
        const list = e.target.value.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean).map((s) => (opts.upper ? s.toUpperCase() : s));
        setAt(this.state.doc, pointer, list);
        this.changed();
      },
    });
    return this.wrap(pointer, label, input, opts.hint);
  }

  checkboxes(pointer, legend, options) {
    const chosen = new Set(getAt(this.state.doc, pointer) || []);
    const id = idOf(pointer);
    return el(
      "fieldset",
      { class: "choices", "data-field": pointer, id, "aria-describedby": `${id}-error` },
      el("legend", {}, legend),
      el("span", { id: `${id}-error`, class: "field-error", "data-error-for": pointer }),
      el(
        "div",
        { class: "grid" },
        options.map((o) => {
          const cid = `${id}-${o.value}`;
          return el(
            "span",
            { class: "check" },
            el("input", {
              type: "checkbox", id: cid, value: o.value, checked: chosen.has(o.value), "data-pointer": pointer,
              onchange: (e) => {
                const list = (getAt(this.state.doc, pointer) || []).filter((c) => c !== o.value);
                if (e.target.checked) list.push(o.value);
                // Keep the vocabulary's order, so that the same choice is the same document.
                const order = options.map((x) => x.value);
                list.sort((a, b) => order.indexOf(a) - order.indexOf(b));
                setAt(this.state.doc, pointer, list);
                this.changed();
              },
            }),
            el("label", { for: cid }, o.label),
          );
        }),
      ),
    );
  }

  /** An object that may be absent: a checkbox adds it (`make()`) or removes it, and its fields follow. */
  optional(pointer, label, make, fields) {
    const value = getAt(this.state.doc, pointer);
    const id = idOf(pointer);
    const input = el("input", {
      type: "checkbox", id: `${id}-present`, checked: value !== null && value !== undefined,
      onchange: (e) => { setAt(this.state.doc, pointer, e.target.checked ? make() : null); this.changed(); this.state.render(); },
    });
    return el(
      "div",
      { class: "optional", "data-field": pointer },
      el("p", { class: "field check" }, input, el("label", { for: `${id}-present` }, label), el("span", { class: "field-error", "data-error-for": pointer })),
      value ? fields(pointer) : null,
    );
  }

  /** Repeatable rows: each a fieldset with its fields and a remove button, then "add". */
  rows(pointer, legend, rowName, make, fields) {
    const list = getAt(this.state.doc, pointer) || [];
    const id = idOf(pointer);
    return el(
      "fieldset",
      { class: "rows", "data-field": pointer, id },
      el("legend", {}, legend),
      el("span", { id: `${id}-error`, class: "field-error", "data-error-for": pointer }),
      list.map((item, i) =>
        el(
          "fieldset",
          { class: "row", "data-field": `${pointer}/${i}` },
          el("legend", {}, `${rowName} ${i + 1}`),
          el("span", { class: "field-error", "data-error-for": `${pointer}/${i}` }),
          fields(`${pointer}/${i}`, item),
          el(
            "button",
            { type: "button", class: "link", onclick: () => { list.splice(i, 1); setAt(this.state.doc, pointer, list); this.changed(); this.state.render(); } },
            t.remove(rowName, i + 1),
          ),
        ),
      ),
      el(
        "button",
        {
          type: "button",
          class: "add",
          onclick: () => {
            list.push(make());
            setAt(this.state.doc, pointer, list);
            this.changed();
            this.state.render();
            document.querySelector(`[data-field="${pointer}/${list.length - 1}"] input, [data-field="${pointer}/${list.length - 1}"] select`)?.focus();
          },
        },
        t.add(rowName),
      ),
    );
  }
}

// --- what the programme's documents ask -------------------------------------------------------

/** Network types led by hospitals: a founding date, meetings, a joint MDO, member roles. */
const HOSPITAL_LED = ["regional_oncology_network", "network_tumour_group"];

/** The type's own fields (an expert panel's consultation; a regional network's founding,
 * meetings and MDO) and the partners outside the registry. */
function programmeFields(state, f, options, enumOptions) {
  const type = state.doc.type;
  return el(
    "fieldset",
    { id: "programme" },
    el("legend", {}, t.programme),
    type === "expert_panel"
      ? f.optional("/consultation", t.hasConsultation, () => ({ channel: "email", contact_point: "", turnaround_days: 10, referral_form_url: null }), (p) => [
        f.select(`${p}/channel`, t.channel, enumOptions(t.channels)),
        f.text(`${p}/contact_point`, t.contactPoint, { required: true, autocomplete: "off" }),
        f.number(`${p}/turnaround_days`, t.turnaroundDays, { step: "1", min: "1" }),
        f.text(`${p}/referral_form_url`, t.referralFormUrl, { type: "url", placeholder: "https://" }),
      ])
      : null,
    HOSPITAL_LED.includes(type)
      ? [
        f.text("/founded_on", t.foundedOn, { type: "date" }),
        f.select("/meeting_frequency", t.meetingFrequency, enumOptions(t.frequencies), { empty: t.none_ }),
        f.optional("/mdo", t.hasMdo, () => ({ schedule: "", how_to_submit: "", submission_url: null }), (p) => [
          f.text(`${p}/schedule`, t.mdoSchedule, { required: true, autocomplete: "off" }),
          f.textarea(`${p}/how_to_submit`, t.mdoHowToSubmit),
          f.text(`${p}/submission_url`, t.mdoUrl, { type: "url", placeholder: "https://" }),
        ]),
      ]
      : null,
    f.rows("/partners", t.partners, t.partnerRow, () => ({ name: "", kind: "hospital_network", agb: null, kvk: null }), (p) => [
      f.text(`${p}/name`, t.name, { required: true, autocomplete: "off" }),
      f.select(`${p}/kind`, t.partnerKind, enumOptions(t.linkKinds)),
      f.text(`${p}/agb`, t.agb, { inputmode: "numeric" }),
      f.text(`${p}/kvk`, t.kvk, { inputmode: "numeric" }),
    ]),
  );
}

// --- proposed changes -----------------------------------------------------------------------

/**
 * The pending proposal of a published network, for an adviser (staff change it at once). The
 * adviser's own pending change is what they go on editing: the form starts from the proposed
 * profile, and a PATCH against it amends the proposal.
 */
async function loadProposal(ctx, state) {
  state.proposal = null;
  if (ctx.staff || state.network?.state !== "published") return;
  const { body } = await api(`/v1/networks/${state.id}/proposals`, { cache: "no-store" });
  const pending = body.items.find((p) => p.state === "pending") || null;
  state.proposal = pending;
  if (pending && pending.kind === "change" && pending.proposed_by.sub === ctx.me.sub) {
    state.base = documentOf(pending.proposed);
    state.doc = documentOf(pending.proposed);
  }
}

/** What waits for IKNL on this network, and the author's "Withdraw". */
function proposalSection(ctx, state) {
  const p = state.proposal;
  if (!p) return null;
  const mine = p.proposed_by.sub === ctx.me.sub;
  const who = p.proposed_by.name || p.proposed_by.sub;
  const text = p.kind === "verification"
    ? (mine ? t.verificationPendingMine(date(p.created_at)) : t.verificationPendingOther(who, date(p.created_at)))
    : (mine ? t.proposalPendingMine(date(p.updated_at), p.changes.filter((c) => c.field !== "proposal").length) : t.proposalPendingOther(who, date(p.created_at)));
  return el(
    "section",
    { id: "proposal", class: "proposal", "data-kind": p.kind, "data-mine": String(mine), role: "status", "aria-labelledby": "proposal-title" },
    el("h2", { id: "proposal-title" }, t.proposalTitle),
    el("p", {}, text),
    mine ? el("button", { type: "button", id: "withdraw-proposal", onclick: () => withdraw(ctx, state) }, t.withdraw) : null,
  );
}

async function withdraw(ctx, state) {
  alert("");
  try {
    await api(`${state.proposal.href}/transitions`, { method: "POST", json: { to: "withdrawn" }, headers: { "If-Match": `"v${state.proposal.version}"` } });
    const r = await api(`/v1/networks/${state.id}`, { cache: "no-store" });
    adopt(state, r);
    await loadProposal(ctx, state);
    state.render();
    status(t.withdrawn);
    schedulePreview(ctx, state, 0);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (e.status !== 401) alert(e.message);
  }
}

/** A 202 from PATCH or verify: the proposal waits; the published network stays as it is. */
function adoptProposal(state, r) {
  state.proposal = r.body;
  if (r.body.kind === "change") {
    state.base = documentOf(r.body.proposed);
    state.doc = documentOf(r.body.proposed);
  }
}

// --- re-verification ------------------------------------------------------------------------

/** A published network's "still correct": confirms it as it is, with an optional note. */
function verifySection(ctx, state) {
  const n = state.network;
  if (!n || n.state !== "published") return null;
  const note = el("textarea", { id: "verify-note", rows: "2", "aria-describedby": "verify-hint" });
  return el(
    "section",
    { id: "verify", class: n.verification_overdue ? "verify overdue" : "verify", "aria-labelledby": "verify-title" },
    el("h2", { id: "verify-title" }, t.verifyTitle),
    el(
      "p",
      { id: "last-verified", "data-at": n.last_verified_at || "", "data-overdue": String(n.verification_overdue) },
      t.lastVerifiedOn(date(n.last_verified_at)),
      n.verification_overdue ? el("strong", { class: "due" }, ` (${t.overdue})`) : null,
    ),
    el(
      "form",
      { id: "verify-form", onsubmit: (e) => { e.preventDefault(); verify(ctx, state, note.value); } },
      el("p", { id: "verify-hint", class: "hint" }, ctx.staff ? t.verifyHint : t.verifyHintAdviser),
      el("p", { class: "field" }, el("label", { for: "verify-note" }, t.verifyNote), note, el("span", { class: "field-error", "data-error-for": "/note" })),
      el("button", { type: "submit", class: "primary", id: "verify-button" }, t.stillCorrect),
    ),
  );
}

/** `POST /v1/networks/{id}/verify` for the network as stored (so not with unsaved edits). */
async function verify(ctx, state, note) {
  alert("");
  if (!same(state.base, state.doc)) {
    alert(t.verifySaveFirst);
    return;
  }
  status(t.saving);
  try {
    const text = note.trim();
    const r = await api(`/v1/networks/${state.id}/verify`, { method: "POST", json: text ? { note: text } : {}, headers: { "If-Match": state.etag } });
    if (r.status === 202) {
      adoptProposal(state, r);
      state.render();
      status(t.verificationProposed);
      return;
    }
    adopt(state, r);
    state.render();
    status(t.verifiedNow(date(r.body.last_verified_at)));
    schedulePreview(ctx, state, 0);
  } catch (e) {
    status("");
    if (!(e instanceof ApiError)) throw e;
    if (e.status === 412) {
      alert(t.verifyStale);
      adopt(state, await api(`/v1/networks/${state.id}`, { cache: "no-store" }));
      state.render();
    } else if (e.status === 422) {
      const slot = document.querySelector('[data-error-for="/note"]');
      if (slot) slot.textContent = e.fieldErrors.map((f) => f.detail).join(" ");
      $("verify-note")?.setAttribute("aria-invalid", "true");
    } else if (e.status !== 401) {
      alert(e.message);
    }
  }
}

// --- the toolbox under a financing entry -------------------------------------------------------

/** How many toolbox items are listed under a financing entry. */
const TOOLBOX_ITEMS = 5;

/** The published, current toolbox items about financing form `form` (each form asked once). */
function toolboxItems(state, form) {
  state.toolbox ||= new Map();
  if (!state.toolbox.has(form)) {
    const query = new URLSearchParams({ financing_form: form, per_page: String(TOOLBOX_ITEMS) });
    const request = api(`/v1/toolbox?${query}`).then((r) => r.body);
    request.catch(() => state.toolbox.delete(form)); // asked again on the next drawing
    state.toolbox.set(form, request);
  }
  return state.toolbox.get(form);
}

/** What the toolbox holds about financing form `form`: titles and summaries, linked. */
function toolboxFor(ctx, state, form, id) {
  if (!form) return null;
  const titleId = `${id}-toolbox`;
  const list = el("div", { class: "toolbox-items" }, el("p", { class: "hint" }, t.loading));
  const box = el(
    "section",
    { class: "toolbox", "data-form": form, "aria-labelledby": titleId, "aria-busy": "true" },
    el("p", { class: "toolbox-title", id: titleId }, t.toolboxFor(ctx.label("financing_forms", form))),
    list,
  );
  toolboxItems(state, form).then(
    (found) => {
      const more = found.page.total_items - found.items.length;
      fill(
        list,
        found.items.length === 0
          ? el("p", { class: "hint" }, t.toolboxNone)
          : el(
              "ul",
              {},
              found.items.map((item) =>
                el(
                  "li",
                  { "data-id": item.id },
                  item.url
                    ? el("a", { href: item.url, rel: "noopener noreferrer", target: "_blank" }, item.title[lang], el("span", { class: "visually-hidden" }, ` (${t.newWindow})`))
                    : el("strong", {}, item.title[lang]),
                  el("span", { class: "toolbox-summary" }, item.summary[lang]),
                ),
              ),
            ),
        more > 0 ? el("p", { class: "hint" }, t.toolboxMore(more)) : null,
      );
      box.removeAttribute("aria-busy");
    },
    (e) => {
      fill(list, el("p", { class: "hint" }, `${t.toolboxFailed}${e.message ? `: ${e.message}` : ""}`));
      box.removeAttribute("aria-busy");
    },
  );
  return box;
}

// --- while typing ---------------------------------------------------------------------------

function onChange(ctx, state) {
  markDirty(state);
  if (state.id) heading(ctx, state);
  schedulePreview(ctx, state, 400);
}

function markDirty(state) {
  const dirty = $("dirty");
  if (dirty) dirty.textContent = state.base === null || !same(state.base, state.doc) ? t.unsaved : "";
}

function schedulePreview(ctx, state, delay) {
  clearTimeout(state.timer);
  state.timer = setTimeout(() => preview(ctx, state), delay);
}

async function preview(ctx, state) {
  state.controller?.abort();
  const controller = new AbortController();
  state.controller = controller;
  const seq = ++state.seq;
  const query = state.id ? `?id=${state.id}` : "";
  try {
    const r = await api(`/v1/networks/preview${query}`, { method: "POST", json: state.doc, signal: controller.signal });
    if (seq !== state.seq) return;
    state.preview = r.body;
    state.previewStale = false;
    showErrors([]);
  } catch (e) {
    if (e.name === "AbortError" || seq !== state.seq) return;
    if (e instanceof ApiError && e.status === 422) {
      state.previewStale = true;
      showErrors(e.fieldErrors, false);
    } else if (e instanceof ApiError) {
      state.previewStale = true;
      alert(e.message);
    } else {
      return;
    }
  }
  renderPreview(state);
  if (!state.previewStale) showDerivedArea(state.preview);
  document.dispatchEvent(new CustomEvent("onconet:preview", { detail: { seq } }));
}

function criterionState(c) {
  if (c.met === true) return ["met", t.met, "✓"];
  if (c.met === false) return ["missing", t.missing, "✗"];
  return ["attest", c.source === "attested" ? t.toAttest : t.unknown, "?"];
}

function renderPreview(state) {
  const box = $("loppsoz");
  const area = $("area-summary");
  if (!box || !area) return;
  const p = state.preview?.properties;
  if (!p) {
    fill(box, el("p", { class: "hint" }, state.previewStale ? t.previewStale : t.loading));
    area.textContent = "";
    return;
  }
  const q = p.qualification;
  fill(box, 
    el(
    "div",
    {},
    state.previewStale ? el("p", { class: "hint stale" }, t.previewStale) : null,
    q.applicable
      ? [
          el("p", { class: q.qualified ? "qualified yes" : "qualified no" }, q.qualified ? t.qualifiedYes : t.qualifiedNo),
          el(
            "ol",
            { class: "criteria" },
            q.criteria.map((c) => {
              const [cls, word, mark] = criterionState(c);
              return el("li", { class: `criterion ${cls}`, "data-key": c.key }, el("span", { class: "mark", "aria-hidden": "true" }, mark), ` ${t.criteria[c.key] || c.key}: `, el("strong", {}, word));
            }),
          ),
        ]
      : el("p", { class: "hint" }, t.loppsozNotApplicable),
    ),
  );
  area.textContent = p.area_km2 === null ? t.areaEmpty : t.areaSummary(number(p.area_km2, 1), number(p.population ?? 0), p.municipalities.length);
  area.dataset.km2 = p.area_km2 ?? "";
  area.dataset.population = p.population ?? "";
}

/** What the user calls the field of an error slot: its label, with its row's legend. */
function fieldName(slot) {
  const field = slot.closest("[data-field]");
  const own = field?.querySelector(":scope > label")?.textContent || field?.querySelector(":scope > legend")?.textContent || "";
  const row = field?.parentElement?.closest("fieldset.row")?.querySelector(":scope > legend")?.textContent;
  return [row, own].filter(Boolean).join(", ");
}

/** Shows field errors next to their fields, and a summary at the top of the form. */
function showErrors(errors, focus = false) {
  for (const node of document.querySelectorAll("[data-error-for]")) node.textContent = "";
  for (const node of document.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  const summary = $("error-summary");
  if (!summary) return;
  const unplaced = [];
  const items = [];
  for (const e of errors) {
    // The field itself, or the nearest enclosing one (a row, a list).
    let pointer = e.pointer;
    let slot = null;
    while (pointer !== "" && !(slot = document.querySelector(`[data-error-for="${CSS.escape(pointer)}"]`))) pointer = pointer.replace(/\/[^/]*$/, "");
    if (!slot) {
      unplaced.push(e);
      continue;
    }
    slot.textContent = slot.textContent ? `${slot.textContent} ${e.detail}` : e.detail;
    const control = document.querySelector(`[data-pointer="${CSS.escape(pointer)}"]`);
    control?.setAttribute("aria-invalid", "true");
    items.push(el("li", {}, el("a", { href: `#${control?.id || slot.id}` }, `${fieldName(slot)}: ${e.detail}`)));
  }
  for (const e of unplaced) items.push(el("li", {}, `${e.pointer || "/"}: ${e.detail}`));
  summary.hidden = items.length === 0;
  fill(summary, ...(items.length ? [el("p", {}, t.fixErrors(items.length)), el("ul", {}, items)] : []));
  if (focus && items.length) summary.focus();
}

// --- saving ---------------------------------------------------------------------------------

async function save(ctx, state) {
  alert("");
  status(t.saving);
  try {
    if (!state.id) {
      const r = await api("/v1/networks", { method: "POST", json: state.doc });
      adopt(state, r);
      history.replaceState(null, "", href(`/console/networks/${state.id}`));
      state.render();
      status(t.created);
      return true;
    }
    const patch = mergePatch(state.base, state.doc);
    if (Object.keys(patch).length === 0) {
      status(t.saved);
      return true;
    }
    const r = await api(`/v1/networks/${state.id}`, {
      method: "PATCH",
      json: patch,
      headers: { "Content-Type": "application/merge-patch+json", "If-Match": state.etag },
    });
    if (r.status === 202) {
      adoptProposal(state, r);
      state.render();
      status(t.proposed);
      return true;
    }
    adopt(state, r);
    if (state.proposal) await loadProposal(ctx, state); // every proposed change undone: withdrawn
    state.render();
    status(t.saved);
    return true;
  } catch (e) {
    status("");
    if (!(e instanceof ApiError)) throw e;
    if (e.status === 422) showErrors(e.fieldErrors, true);
    else if (e.status === 412) await conflict(ctx, state);
    else if (e.status !== 401) alert(e.message);
    return false;
  }
}

/** The saved network becomes the base of further edits. */
function adopt(state, r) {
  state.id = r.body.id;
  state.network = r.body;
  state.etag = r.etag;
  state.base = documentOf(r.body);
  state.doc = documentOf(r.body);
}

async function submitForReview(ctx, state) {
  if (!same(state.base, state.doc) && !(await save(ctx, state))) return;
  try {
    const r = await api(`/v1/networks/${state.id}/transitions`, { method: "POST", json: { to: "submitted" }, headers: { "If-Match": state.etag } });
    adopt(state, r);
    state.render();
    status(t.submitted);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (e.status === 412) await conflict(ctx, state);
    else if (e.status !== 401) alert(e.message);
  }
}

function valueText(value) {
  if (value === null || value === undefined || (Array.isArray(value) && !value.length)) return t.empty;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** Someone else saved first: show their changes, let the user choose where both changed. */
async function conflict(ctx, state) {
  const r = await api(`/v1/networks/${state.id}`, { cache: "no-store" });
  const theirs = documentOf(r.body);
  const diff = threeWay(state.base, state.doc, theirs);
  const labels = FIELD_LABELS();
  const choices = {};
  const box = $("conflict");
  box.hidden = false;
  box.setAttribute("role", "region");
  box.setAttribute("aria-labelledby", "conflict-title");
  fill(box, 
    el("h2", { id: "conflict-title", tabindex: "-1" }, t.conflictTitle),
    diff.theirs.length
      ? [el("p", {}, t.conflictTheirs), el("ul", { class: "their-changes" }, diff.theirs.map((f) => el("li", { "data-field-name": f }, el("strong", {}, labels[f] || f), `: ${valueText(theirs[f])}`)))]
      : null,
    diff.conflicts.length
      ? [
          el("p", {}, t.conflictBoth),
          diff.conflicts.map((f) => {
            choices[f] = "mine";
            const name = `choice-${f}`;
            return el(
              "fieldset",
              { class: "choice", "data-field-name": f },
              el("legend", {}, labels[f] || f),
              ["mine", "theirs"].map((side) =>
                el(
                  "p",
                  { class: "check" },
                  el("input", { type: "radio", name, id: `${name}-${side}`, value: side, checked: side === "mine", onchange: () => { choices[f] = side; } }),
                  el("label", { for: `${name}-${side}` }, `${side === "mine" ? t.keepMine : t.keepTheirs}: ${valueText(side === "mine" ? state.doc[f] : theirs[f])}`),
                ),
              ),
            );
          }),
        ]
      : null,
    el(
      "button",
      {
        type: "button",
        class: "primary",
        id: "reapply",
        onclick: () => {
          state.doc = rebase(state.base, state.doc, theirs, choices);
          state.base = theirs;
          state.etag = r.etag;
          state.network = r.body;
          state.render();
          status(t.reapplied);
          schedulePreview(ctx, state, 0);
          $("save")?.focus();
        },
      },
      t.reapply,
    ),
  );
  box.querySelector("h2").focus();
  return changedFields(state.base, theirs);
}

export const _forTests = { getAt, setAt, lang };
