// The coverage dashboard (IKNL staff): a choropleth of the share of each region inside a
// matching network's service area, or of the unmet demand (find-a-network searches that found
// no covering network, the last 12 months), the national summary, the gaps ranked by uncovered
// people or by unmet demand,
// the networks reaching a chosen region, what-if (networks switched off: `exclude`), the trend
// of the daily snapshots (uPlot) and downloads of exactly what is shown. Everything comes from
// /v1/coverage and its sub-resources; the outlines from /v1/regions (outlines.js).
//
// `#dashboard[data-ready]` is "true" once the map, table and summary show the current choice;
// `data-ready-at` is performance.now() at that moment and `data-redraw-ms` the time from the
// last change of a control to its redraw (the browser test reads them).

import { api } from "./api.js";
import { $, el, fill, status } from "./dom.js";
import { date, href, lang, number, signed, t } from "./i18n.js";
import { levelFor, outlines, refineOnZoom } from "./outlines.js";

const NL = [[50.75, 3.2], [53.7, 7.22]];
const LAYERS = ["municipality", "province", "pc4"];
/** Sequential classes of the share covered (light: little, dark: much); 0 has its own. */
const COLOURS = ["#f7f4f9", "#d4d9ea", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d"];
const BOUNDS = [0.2, 0.4, 0.6, 0.8];
/** At most this many rows in the gaps table (PC4 has about 4,000 regions). */
const MAX_ROWS = 400;

export function colourOf(coverage) {
  if (!(coverage > 0)) return COLOURS[0];
  const i = BOUNDS.findIndex((b) => coverage < b);
  return COLOURS[i < 0 ? COLOURS.length - 1 : i + 1];
}

/** Unmet demand: grey for none or fewer than 5 (never shown), then five classes, light to dark. */
const DEMAND_COLOURS = ["#e6e6e6", "#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];
const MIN_SHOWN = 5;

/**
 * Up to five classes from 5 to `max`, bounds growing geometrically (a few cities do not wash out
 * the rest): the lower bounds above 5, strictly increasing (a small `max` gives fewer classes).
 */
export function demandBounds(max) {
  const top = Math.max(MIN_SHOWN, max || 0);
  const bounds = [];
  for (let i = 1; i < 5; i++) {
    const b = Math.round(MIN_SHOWN * (top / MIN_SHOWN) ** (i / 5));
    if (b > (bounds.at(-1) ?? MIN_SHOWN)) bounds.push(b);
  }
  return bounds;
}

/** The colour index (into DEMAND_COLOURS) of each class: the highest class is always the darkest. */
const classColour = (i, bounds) => DEMAND_COLOURS.length - 1 - bounds.length + i;

export function demandColourOf(count, bounds) {
  if (!(count >= MIN_SHOWN)) return DEMAND_COLOURS[0];
  const i = bounds.findIndex((b) => count < b);
  return DEMAND_COLOURS[classColour(i < 0 ? bounds.length : i, bounds)];
}

const percent = (share, digits = 1) => `${number(share * 100, digits)} %`;
const uncoveredOf = (r) => Math.max(0, (r.population || 0) - (r.covered_population || 0));

/** The legend of what the map shows: coverage classes, or unmet demand with its bounds. */
function legend(show, bounds) {
  if (show === "unmet_demand") {
    const edges = [MIN_SHOWN, ...bounds];
    const classes = edges.map((b, i) => [classColour(i, bounds), i + 1 < edges.length ? (edges[i + 1] - 1 > b ? `${number(b)}–${number(edges[i + 1] - 1)}` : number(b)) : `≥ ${number(b)}`]);
    return el(
      "figure",
      { class: "legend", id: "legend", "data-show": show },
      el("figcaption", {}, t.demandLegend),
      el("ul", {}, [[0, t.demandNone], ...classes].map(([colour, label]) => el("li", {}, el("span", { class: `swatch d${colour}`, "aria-hidden": "true" }), label))),
    );
  }
  const labels = [t.noCoverage, "< 20 %", "20–40 %", "40–60 %", "60–80 %", "≥ 80 %"];
  return el(
    "figure",
    { class: "legend", id: "legend", "data-show": "coverage" },
    el("figcaption", {}, t.legend),
    el("ul", {}, labels.map((label, i) => el("li", {}, el("span", { class: `swatch c${i}`, "aria-hidden": "true" }), label))),
  );
}

/** A demand count as shown: fewer than 5 is never shown. */
const countText = (n) => (n == null ? t.fewerThanFive : number(n));

function select(id, label, options, value) {
  return el(
    "p",
    { class: "field" },
    el("label", { for: id }, label),
    el("select", { id }, options.map(([code, text]) => el("option", { value: code, selected: code === value }, text))),
  );
}

/** The uPlot library, loaded when the first trend is drawn (its style sheet with it). */
let uplot = null;
function loadUplot() {
  uplot ||= new Promise((resolve, reject) => {
    document.head.append(el("link", { rel: "stylesheet", href: "/console/vendor/uplot/dist/uPlot.min.css" }));
    document.head.append(el("script", { src: "/console/vendor/uplot/dist/uPlot.iife.min.js", onload: () => resolve(window.uPlot), onerror: reject }));
  });
  return uplot;
}

export async function coverageDashboard(ctx) {
  ctx.title(t.coverageTitle);
  if (!ctx.staff) return ctx.refused(403, t.coverageStaffOnly);
  const query = new URLSearchParams(location.search);
  const v = ctx.vocabularies;
  const state = {
    layer: LAYERS.includes(query.get("layer")) ? query.get("layer") : "municipality",
    discipline: query.get("discipline") || "",
    type: query.get("type") || "oncology_care_network",
    // What the map's colours show: the share covered, or the searches without result.
    show: query.get("show") === "unmet_demand" ? "unmet_demand" : "coverage",
    demandBounds: demandBounds(0),
    exclude: new Set(),
    baseline: null,
    report: null,
    selected: null,
    generation: 0,
    level: 0,
    shownLayer: null,
  };
  const params = (withExclude = true) => {
    const p = new URLSearchParams({ layer: state.layer, type: state.type });
    if (state.discipline) p.set("discipline", state.discipline);
    if (withExclude && state.exclude.size) p.set("exclude", [...state.exclude].sort().join(","));
    return p;
  };

  // The first report and the coarse outlines are asked for before the page is built.
  if (state.layer === "pc4") state.show = "coverage"; // searches are counted per municipality
  const early = { report: report(true), outlines: outlines(state.layer, levelFor(0)) };
  async function report(withExclude) {
    const { body } = await api(`/v1/coverage?${params(withExclude)}`);
    body.byCode = new Map(body.regions.map((r) => [r.code, r]));
    return body;
  }

  const root = el("div", { id: "dashboard", class: "dashboard", "data-ready": "false" });
  const controls = el(
    "form",
    { id: "coverage-controls", class: "filters", "aria-label": t.coverageFilters, onsubmit: (e) => e.preventDefault() },
    select("d-layer", t.layer, LAYERS.map((l) => [l, t.layers[l]]), state.layer),
    select("d-discipline", t.discipline, [["", t.any], ...v.disciplines.map((e) => [e.code, e.label])], state.discipline),
    select("d-type", t.networkType, v.network_types.map((e) => [e.code, e.label]), state.type),
    select("d-show", t.show, [["coverage", t.showCoverage], ["unmet_demand", t.showDemand]], state.show),
  );
  const summary = el("section", { id: "summary", class: "summary", "aria-labelledby": "summary-title" });
  const mapBox = el("div", { id: "coverage-map", class: "coverage-map", role: "region", "aria-label": t.coverageMapLabel });
  const detail = el("section", { id: "region-detail", class: "side", "aria-live": "polite" }, el("p", { class: "muted" }, t.chooseRegion));
  const whatIf = el("fieldset", { id: "what-if", class: "what-if" }, el("legend", {}, t.whatIf));
  const delta = el("p", { id: "what-if-delta", role: "status" });
  const downloads = el(
    "p",
    { class: "actions", id: "downloads" },
    el("span", {}, t.downloads),
    [["csv", "CSV"], ["geojson", "GeoJSON"], ["svg", "SVG"]].map(([format, label]) => el("button", { type: "button", class: "add", id: `download-${format}`, onclick: () => download(format) }, label)),
  );
  const trend = el("section", { id: "trend", class: "trend", "aria-labelledby": "trend-title" }, el("h2", { id: "trend-title" }, t.trend), el("div", { id: "trend-chart" }), el("p", { id: "trend-summary", class: "muted" }));
  const gaps = el("section", { id: "gaps-section" });
  fill(
    $("content"),
    el("div", { class: "dashboard-top" }, controls, summary),
    root,
  );
  const legendBox = el("div", { id: "legend-box" }, legend(state.show, state.demandBounds));
  fill(root, el("div", { class: "dashboard-map" }, el("div", {}, mapBox, legendBox), detail), el("div", { class: "dashboard-more" }, el("div", {}, whatIf, delta, downloads), trend), gaps);

  if (typeof L === "undefined") {
    fill(mapBox, el("p", { class: "hint" }, t.mapUnavailable));
  }
  const map = typeof L === "undefined" ? null : L.map(mapBox, { zoomSnap: 0.5, attributionControl: true });
  let shapes = null; // the GeoJSON layer of the outlines
  const renderer = map ? L.canvas({ padding: 0.2 }) : null;
  const byCode = new Map(); // code → Leaflet layer
  if (map) {
    map.attributionControl.setPrefix(false);
    map.fitBounds(NL);
    const tiles = document.documentElement.dataset.tiles;
    if (tiles) L.tileLayer(tiles, { attribution: document.documentElement.dataset.tilesAttribution || "" }).addTo(map);
    mapBox.leafletMap = map; // for the browser test
    refineOnZoom(map, () => state.layer, () => (state.shownLayer === state.layer ? state.level : Infinity), (collection, level) => drawShapes(collection, level));
  }

  function styleOf(code) {
    const r = state.report?.byCode.get(code);
    const chosen = code === state.selected;
    const fillColor = state.show === "unmet_demand" ? demandColourOf(r?.searches_without_result, state.demandBounds) : colourOf(r?.coverage);
    return { color: chosen ? "#111" : "#55606d", weight: chosen ? 2.5 : 0.6, fillColor, fillOpacity: 0.85 };
  }

  function drawShapes(collection, level) {
    if (!map) return;
    if (shapes) shapes.remove();
    byCode.clear();
    shapes = L.geoJSON(collection, {
      renderer, // canvas: about twice as fast as SVG for 342 (or 4,000) regions
      style: (f) => styleOf(f.properties.code),
      onEachFeature: (feature, layer) => {
        byCode.set(feature.properties.code, layer);
        layer.bindTooltip(() => tooltip(feature.properties.code, feature.properties.name), { sticky: true });
        layer.on("click", () => choose(feature.properties.code, false));
      },
    }).addTo(map);
    state.level = level;
    state.shownLayer = state.layer;
  }

  function tooltip(code, name) {
    const r = state.report?.byCode.get(code);
    if (!r) return `${name} (${code})`;
    const demand = state.report.demand.available ? `, ${t.searchesWithoutResult.toLowerCase()}: ${countText(r.searches_without_result)}` : "";
    return `${name} (${code}): ${percent(r.coverage, 0)}, ${r.networks} ${t.networkCount.toLowerCase()}${demand}`;
  }

  function restyle() {
    for (const [code, layer] of byCode) layer.setStyle(styleOf(code));
  }

  function showSummary() {
    const s = state.report.summary;
    const share = s.population > 0 ? s.covered_population / s.population : 0;
    fill(
      summary,
      el("h2", { id: "summary-title" }, t.summary),
      el(
        "dl",
        { class: "figures" },
        el("div", {}, el("dt", {}, t.population), el("dd", { id: "population" }, number(s.population))),
        el("div", {}, el("dt", {}, t.coveredPopulation), el("dd", { id: "covered-population", "data-value": String(s.covered_population) }, number(s.covered_population))),
        el("div", {}, el("dt", {}, t.share), el("dd", { id: "covered-share" }, percent(share))),
        el("div", {}, el("dt", {}, t.coveredArea), el("dd", {}, `${number(s.covered_km2)} km² (${percent(s.coverage)})`)),
        el("div", {}, el("dt", {}, t.networksCounted), el("dd", { id: "networks-counted" }, number(state.report.networks))),
        el("div", {}, el("dt", {}, t.searchesPeriod(date(state.report.demand.from), date(state.report.demand.to))), el("dd", { id: "searches" }, countText(state.report.demand.searches))),
        el("div", {}, el("dt", {}, t.searchesWithoutResult), el("dd", { id: "searches-without-result" }, countText(state.report.demand.searches_without_result))),
      ),
    );
    const base = state.baseline?.summary;
    if (!base || state.exclude.size === 0) {
      delta.textContent = t.whatIfBaseline;
      delta.dataset.delta = "0";
    } else {
      const change = s.covered_population - base.covered_population;
      delta.textContent = t.whatIfDelta(signed(change), `${signed(base.population > 0 ? (change / base.population) * 100 : 0, 1)} %`);
      delta.dataset.delta = String(change);
    }
  }

  function showGaps() {
    const byDemand = state.show === "unmet_demand";
    const unmet = (r) => r.searches_without_result ?? 0;
    const rows = [...state.report.regions].sort((a, b) => (byDemand ? unmet(b) - unmet(a) : 0) || uncoveredOf(b) - uncoveredOf(a) || a.code.localeCompare(b.code));
    const shown = rows.slice(0, MAX_ROWS);
    const demand = state.report.demand.available;
    fill(
      gaps,
      el("h2", { id: "gaps-title" }, byDemand ? t.gapsByDemand : t.gaps),
      rows.length > shown.length ? el("p", { class: "muted" }, t.gapsShown(shown.length, rows.length)) : null,
      el(
        "table",
        { id: "gaps", "aria-labelledby": "gaps-title" },
        el("thead", {}, el("tr", {}, [t.region, t.population, t.coveredShare, t.uncovered, t.networkCount, ...(demand ? [t.searches, t.searchesWithoutResult] : [])].map((h) => el("th", { scope: "col" }, h)))),
        el(
          "tbody",
          {},
          shown.map((r) =>
            el(
              "tr",
              { "data-code": r.code, class: r.code === state.selected ? "chosen" : null },
              el("th", { scope: "row" }, el("button", { type: "button", class: "link", "aria-pressed": r.code === state.selected ? "true" : "false", onclick: () => choose(r.code, true) }, `${r.name} (${r.code})`)),
              el("td", { class: "num" }, r.population == null ? t.unknown : number(r.population)),
              el("td", { class: "num" }, percent(r.coverage)),
              el("td", { class: "num" }, number(uncoveredOf(r))),
              el("td", { class: "num" }, number(r.networks)),
              demand ? el("td", { class: "num" }, countText(r.searches)) : null,
              demand ? el("td", { class: "num" }, countText(r.searches_without_result)) : null,
            ),
          ),
        ),
      ),
    );
  }

  /** Brings everything in line with the controls; `what` says what changed. */
  async function refresh(what) {
    const generation = ++state.generation;
    const started = performance.now();
    root.dataset.ready = "false";
    status(t.loading);
    try {
      if (what !== "exclude") state.exclude.clear();
      const layerChanged = state.shownLayer !== state.layer;
      // Coarse outlines first; zooming in asks for finer ones (refineOnZoom).
      const level = what === "initial" ? levelFor(0) : map ? levelFor(map.getZoom()) : 0;
      const [collection, current] = await Promise.all([
        map && layerChanged ? (what === "initial" ? early.outlines : outlines(state.layer, level)) : null,
        what === "initial" ? early.report : report(true),
      ]);
      if (generation !== state.generation) return;
      state.report = current;
      state.demandBounds = demandBounds(Math.max(0, ...current.regions.map((r) => r.searches_without_result ?? 0)));
      fill(legendBox, legend(state.show, state.demandBounds));
      if (what !== "exclude") state.baseline = current;
      if (collection) drawShapes(collection, level);
      else restyle();
      showSummary();
      showGaps();
      if (state.selected && !current.byCode.has(state.selected)) {
        state.selected = null;
        fill(detail, el("p", { class: "muted" }, t.chooseRegion));
      }
      status("");
      root.dataset.redrawMs = String(Math.round(performance.now() - started));
      root.dataset.readyAt = String(Math.round(performance.now()));
      root.dataset.generation = String(generation);
      root.dataset.ready = "true";
    } catch (e) {
      if (generation === state.generation) status("");
      throw e;
    }
    // What follows the main picture; it does not hold up the redraw.
    if (what !== "exclude") networksToSwitch(generation).catch(failed);
    if (what === "discipline" || what === "initial") drawTrend().catch(failed);
    if (state.selected) showRegion(state.selected, false).catch(failed);
  }

  function failed(e) {
    status(`${t.failed}: ${e.message}`);
  }

  async function choose(code, fromTable) {
    const before = state.selected;
    state.selected = code;
    if (before && byCode.has(before)) byCode.get(before).setStyle(styleOf(before));
    const layer = byCode.get(code);
    if (layer) {
      layer.setStyle(styleOf(code));
      layer.bringToFront();
      if (fromTable && map) map.fitBounds(layer.getBounds(), { maxZoom: 10 });
    }
    for (const row of gaps.querySelectorAll("tbody tr")) {
      const on = row.dataset.code === code;
      row.classList.toggle("chosen", on);
      row.querySelector("button")?.setAttribute("aria-pressed", on ? "true" : "false");
    }
    await showRegion(code, fromTable).catch(failed);
  }

  async function showRegion(code, focus) {
    const { body } = await api(`/v1/coverage/regions/${encodeURIComponent(code)}?${params(true)}`);
    if (state.selected !== code) return;
    const r = body.region;
    fill(
      detail,
      el("h2", { id: "region-title", tabindex: "-1", "data-code": r.code }, `${r.name} (${r.code})`),
      el("p", {}, t.regionFigures(percent(r.coverage), number(r.covered_population ?? 0), r.population == null ? t.unknown : number(r.population))),
      body.region.searches === undefined || state.layer === "pc4" ? null : el("p", { id: "region-demand" }, t.regionDemand(countText(r.searches), countText(r.searches_without_result))),
      body.networks.length === 0
        ? el("p", { class: "muted" }, t.noneReaching)
        : [
            el("h3", {}, t.reachingNetworks(body.networks.length)),
            el("ul", { id: "region-networks" }, body.networks.map((n) => el("li", { "data-id": n.id }, el("a", { href: href(`/console/networks/${n.id}`) }, n.name || n.id)))),
          ],
    );
    if (focus) $("region-title").focus();
  }

  /** The published networks of the choice, each a checkbox: off = left out (what-if). */
  async function networksToSwitch(generation) {
    const p = new URLSearchParams({ type: state.type, lifecycle: "active", per_page: "100", sort: "name" });
    if (state.discipline) p.set("discipline", state.discipline);
    const items = [];
    for (let page = 1; page <= 20; page++) {
      p.set("page", String(page));
      const { body } = await api(`/v1/networks?${p}`);
      items.push(...body.items);
      if (page >= body.page.total_pages) break;
    }
    if (generation !== state.generation) return;
    fill(
      whatIf,
      el("legend", {}, t.whatIf),
      el("p", { class: "hint" }, items.length ? t.whatIfHint : t.whatIfNone),
      el(
        "ul",
        { class: "switches", id: "what-if-networks" },
        items.map((n) => {
          const id = `wi-${n.id}`;
          return el(
            "li",
            { class: "check" },
            el("input", {
              type: "checkbox", id, value: n.id, checked: !state.exclude.has(n.id),
              onchange: (e) => {
                if (e.target.checked) state.exclude.delete(n.id);
                else state.exclude.add(n.id);
                refresh("exclude").catch(failed);
              },
            }),
            el("label", { for: id }, n.name),
          );
        }),
      ),
    );
  }

  /** Axis dates in the console's language (uPlot's default is American). */
  const dayMonth = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "nl-NL", { day: "numeric", month: "short", timeZone: "UTC" });

  async function drawTrend() {
    const p = new URLSearchParams();
    if (state.discipline) p.set("discipline", state.discipline);
    const [{ body }, U] = await Promise.all([api(`/v1/coverage/trend?${p}`), loadUplot()]);
    const chart = $("trend-chart");
    const points = body.points;
    if (!points.length) {
      fill(chart);
      $("trend-summary").textContent = t.trendEmpty;
      return;
    }
    const xs = points.map((q) => Date.parse(`${q.day}T12:00:00Z`) / 1000);
    const ys = points.map((q) => Math.round(q.population_coverage * 10000) / 100);
    fill(chart);
    const width = Math.max(280, Math.min(chart.clientWidth || 560, 720));
    new U(
      {
        width,
        height: 220,
        series: [{ label: t.day, value: (_, v) => (v == null ? "" : date(new Date(v * 1000))) }, { label: t.trendSeries, stroke: "#045a8d", width: 2, points: { show: true, size: 7, fill: "#045a8d" }, value: (_, v) => (v == null ? "" : `${number(v, 1)} %`) }],
        // One snapshot: a week around it (uPlot alone widens a single point to ~1,000 days).
        scales: { x: { time: true, range: (u, lo, hi) => (u.data[0].length === 1 ? [u.data[0][0] - 86400 * 3, u.data[0][0] + 86400 * 3] : [lo, hi]) }, y: { range: (_, lo, hi) => [Math.max(0, Math.floor(lo - 5)), Math.min(100, Math.ceil(hi + 5))] } },
        axes: [{ stroke: "#1b1f24", values: (_, ticks) => ticks.map((v) => dayMonth.format(new Date(v * 1000))) }, { stroke: "#1b1f24", values: (_, ticks) => ticks.map((v) => `${number(v)} %`) }],
        legend: { show: true },
      },
      [xs, ys],
      chart,
    );
    $("trend-summary").textContent = t.trendSummary(points.length, date(points[0].day), date(points.at(-1).day), `${number(ys[0], 1)} %`, `${number(ys.at(-1), 1)} %`);
  }

  /** Downloads the report as shown (same layer, discipline, type and networks left out). */
  async function download(format) {
    const sort = state.show === "unmet_demand" ? "&sort=unmet_demand" : "";
    const response = await fetch(`/v1/coverage?${params(true)}&format=${format}${sort}`, { credentials: "same-origin", headers: { "Accept-Language": lang } });
    if (!response.ok) return failed(new Error(`HTTP ${response.status}`));
    const blob = await response.blob();
    const name = `onconet-coverage-${state.layer}-${state.discipline || "all"}${state.exclude.size ? "-what-if" : ""}.${format}`;
    const link = el("a", { href: URL.createObjectURL(blob), download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    status(t.downloadedFile(name));
  }

  const on = (id, key, what) =>
    $(id).addEventListener("change", (e) => {
      state[key] = e.target.value;
      const address = new URLSearchParams(location.search);
      address.set(key, e.target.value);
      history.replaceState(null, "", `?${address}`);
      refresh(what).catch(failed);
    });
  on("d-layer", "layer", "layer");
  on("d-discipline", "discipline", "discipline");
  on("d-type", "type", "type");
  // Showing demand only changes the colours, the legend and the table's order: no new report.
  const showSelect = $("d-show");
  const demandOption = showSelect.querySelector('option[value="unmet_demand"]');
  const keepShowPossible = () => {
    demandOption.disabled = state.layer === "pc4";
    if (state.layer === "pc4" && state.show !== "coverage") {
      state.show = showSelect.value = "coverage";
    }
  };
  keepShowPossible();
  $("d-layer").addEventListener("change", keepShowPossible);
  showSelect.addEventListener("change", (e) => {
    state.show = e.target.value;
    const address = new URLSearchParams(location.search);
    address.set("show", state.show);
    history.replaceState(null, "", `?${address}`);
    fill(legendBox, legend(state.show, state.demandBounds));
    restyle();
    showGaps();
  });
  await refresh("initial");
}
