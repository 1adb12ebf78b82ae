// The service-area editor on a map (Leaflet with Geoman, served by the API from npm's pinned
// versions). The base map is the API's own municipality layer, simplified for the zoom level
// (coarse first, finer when zoomed in: outlines.js): click a municipality to add or remove it; draw polygons and circles and edit them. The map writes into the same profile
// document as the form (`/service_area/...`), and shows the derived area of the last preview.
// With a tile server configured (ONCONET_CONSOLE_TILE_URL) its tiles lie underneath.

import { el } from "./dom.js";
import { lang, t } from "./i18n.js";
import { levelFor, outlines, refineOnZoom } from "./outlines.js";

const NL = [[50.75, 3.2], [53.7, 7.22]];
let editor = null;

const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The drawn layers as the document's `circles` and `geometry`. */
function fromLayers(group) {
  const circles = [];
  const polygons = [];
  group.eachLayer((layer) => {
    if (layer instanceof L.Circle) {
      const c = layer.getLatLng();
      circles.push({ lat: round(c.lat, 6), lon: round(c.lng, 6), radius_km: round(layer.getRadius() / 1000, 3) });
    } else if (layer instanceof L.Polygon) {
      const g = layer.toGeoJSON(7).geometry;
      if (g.type === "Polygon") polygons.push(g.coordinates);
      else if (g.type === "MultiPolygon") polygons.push(...g.coordinates);
    }
  });
  const geometry = polygons.length === 0 ? null : polygons.length === 1 ? { type: "Polygon", coordinates: polygons[0] } : { type: "MultiPolygon", coordinates: polygons };
  return { circles, geometry };
}

function drawnStyle() {
  return { color: "#7a3e00", weight: 2, fillColor: "#f2a900", fillOpacity: 0.25 };
}

/** Draws the document's circles and geometry as editable layers. */
function toLayers(group, area) {
  group.clearLayers();
  for (const c of area.circles || []) {
    if ([c.lat, c.lon, c.radius_km].every(Number.isFinite) && c.radius_km > 0) group.addLayer(L.circle([c.lat, c.lon], { radius: c.radius_km * 1000, ...drawnStyle() }));
  }
  const g = area.geometry;
  const rings = g?.type === "Polygon" ? [g.coordinates] : g?.type === "MultiPolygon" ? g.coordinates : [];
  for (const polygon of rings) {
    try {
      group.addLayer(L.polygon(polygon.map((ring) => ring.map(([lon, lat]) => [lat, lon])), drawnStyle()));
    } catch (_) {
      /* a malformed geometry is the server's to report */
    }
  }
}

/**
 * Puts the editor into the form's `#area-editor` (created once, moved back in after each
 * render of the form) and shows `state.doc`'s service area. `changed()` tells the form.
 */
export async function attachAreaEditor(state, changed) {
  const slot = document.getElementById("area-editor");
  if (!slot) return;
  if (typeof L === "undefined" || !L.PM) {
    slot.replaceChildren(el("p", { class: "hint" }, t.mapUnavailable));
    return;
  }
  if (!editor) {
    // Leaflet measures its container: it must be in the page before the map is made.
    const container = el("div", { id: "area-map", class: "area-map", role: "region", "aria-label": t.mapLabel });
    slot.replaceChildren(container);
    editor = createEditor(container, state, changed);
  }
  const ed = await editor;
  ed.state = state;
  ed.changed = changed;
  if (!slot.isConnected) return; // the form was rendered again meanwhile
  slot.replaceChildren(ed.finder, ed.container);
  ed.map.invalidateSize();
  if (!ed.sized) {
    ed.map.fitBounds(NL); // now that the container has its size
    ed.sized = true;
  }
  editor = ed;
  ed.restyle();
  toLayers(ed.drawn, state.doc.service_area);
}

/** The last preview's derived area, outlined on the map. */
export async function showDerivedArea(preview) {
  if (!editor) return;
  const ed = await editor;
  ed.derived.clearLayers();
  if (preview?.geometry) {
    ed.derived.addData(preview.geometry);
    if (!ed.fitted) {
      ed.map.fitBounds(ed.derived.getBounds(), { maxZoom: 11 });
      ed.fitted = true;
    }
  }
}

async function createEditor(container, state, changed) {
  const map = L.map(container, { zoomSnap: 0.5, preferCanvas: false, attributionControl: true });
  map.attributionControl.setPrefix(false);
  map.fitBounds(NL);
  const tiles = document.documentElement.dataset.tiles;
  if (tiles) L.tileLayer(tiles, { attribution: document.documentElement.dataset.tilesAttribution || "" }).addTo(map);
  // An existing area is zoomed to once, when its first preview arrives; a new one is not, so
  // the map does not move under the user's clicks.
  const area = state.doc.service_area;
  const empty = !area.municipalities?.length && !area.postcodes?.length && !area.circles?.length && !area.geometry;
  const ed = { container, map, fitted: empty, state, changed };
  let level = levelFor(map.getZoom());
  const collection = await outlines("municipality", level);
  const codes = () => new Set(ed.state.doc.service_area.municipalities || []);
  const outline = (c) =>
    L.geoJSON(c, {
      pmIgnore: true,
      style: () => ({ color: "#55606d", weight: 0.8, fillColor: "#ffffff", fillOpacity: 0.35 }),
      onEachFeature: (feature, layer) => {
        layer.bindTooltip(`${feature.properties.name} (${feature.properties.code})`, { sticky: true });
        layer.on("click", () => {
          // While drawing, a click places a vertex, not a municipality.
          if (map.pm.globalDrawModeEnabled() || map.pm.globalEditModeEnabled() || map.pm.globalRemovalModeEnabled()) return;
          toggle(ed, feature.properties.code);
        });
      },
    });
  // Chromium makes each outline a tab stop (342 of them, none usable with a key): keyboard
  // users pick municipalities by typing a name or code above the map instead.
  const untabbable = (layers) => layers.eachLayer((layer) => layer.getElement()?.setAttribute("tabindex", "-1"));
  let base = outline(collection).addTo(map);
  untabbable(base);
  // Zoomed in: finer outlines replace the coarse ones, underneath what is drawn.
  refineOnZoom(map, () => "municipality", () => level, (finer, finerLevel) => {
    base.remove();
    base = outline(finer).addTo(map);
    untabbable(base);
    base.bringToBack();
    level = finerLevel;
    ed.restyle();
  });
  ed.restyle = () => {
    const chosen = codes();
    base.eachLayer((layer) => {
      const on = chosen.has(layer.feature.properties.code);
      layer.setStyle(on ? { color: "#0b5394", weight: 1.5, fillColor: "#0b5394", fillOpacity: 0.45 } : { color: "#55606d", weight: 0.8, fillColor: "#ffffff", fillOpacity: 0.35 });
    });
  };
  ed.derived = L.geoJSON(null, { pmIgnore: true, interactive: false, style: { color: "#111", weight: 2, dashArray: "6 4", fill: false } }).addTo(map);
  ed.drawn = L.featureGroup().addTo(map);
  map.pm.setLang(lang === "en" ? "en" : "nl");
  map.pm.setGlobalOptions({ layerGroup: ed.drawn, pathOptions: drawnStyle(), templineStyle: { color: "#7a3e00" }, hintlineStyle: { color: "#7a3e00", dashArray: "4 4" } });
  map.pm.addControls({
    position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawText: false,
    drawRectangle: true, drawPolygon: true, drawCircle: true, editMode: true, dragMode: true,
    cutPolygon: false, removalMode: true, rotateMode: false,
  });
  // Geoman titles its buttons' boxes, not the buttons: give each button its name.
  for (const button of container.querySelectorAll(".leaflet-buttons-control-button")) {
    const title = button.closest("[title]")?.getAttribute("title");
    if (title) button.setAttribute("aria-label", title);
  }
  const sync = () => {
    const { circles, geometry } = fromLayers(ed.drawn);
    ed.state.doc.service_area.circles = circles;
    ed.state.doc.service_area.geometry = geometry;
    ed.changed();
    ed.state.render();
  };
  map.on("pm:create", (e) => {
    e.layer.on("pm:edit pm:dragend", sync);
    sync();
  });
  map.on("pm:remove", sync);
  ed.drawn.on("layeradd", (e) => e.layer.on("pm:edit pm:dragend", sync));

  // Keyboard and typing: a municipality by name or code.
  const names = collection.features.map((f) => f.properties).sort((a, b) => a.name.localeCompare(b.name, "nl"));
  const list = el("datalist", { id: "municipality-names" }, names.map((p) => el("option", { value: `${p.name} (${p.code})` })));
  const input = el("input", { id: "find-municipality", type: "text", list: "municipality-names", autocomplete: "off", spellcheck: "false" });
  const message = el("span", { id: "find-municipality-message", class: "field-error", role: "status" });
  const add = () => {
    const text = input.value.trim().toLowerCase();
    if (!text) return;
    const hit = names.find((p) => `${p.name} (${p.code})`.toLowerCase() === text || p.code.toLowerCase() === text || p.name.toLowerCase() === text);
    if (!hit) {
      message.textContent = t.noSuchMunicipality(input.value.trim());
      return;
    }
    message.textContent = "";
    input.value = "";
    if (!codes().has(hit.code)) toggle(ed, hit.code);
    document.getElementById("find-municipality")?.focus();
  };
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      add();
    }
  });
  ed.finder = el(
    "p",
    { class: "field finder" },
    el("label", { for: "find-municipality" }, t.findMunicipality),
    el("span", { class: "inline" }, input, el("button", { type: "button", class: "add", onclick: add }, t.addMunicipality)),
    list,
    message,
  );
  // For the browser test and the devtools: the Leaflet map of this element.
  container.leafletMap = map;
  return ed;
}

function toggle(ed, code) {
  const list = ed.state.doc.service_area.municipalities || [];
  const at = list.indexOf(code);
  if (at >= 0) list.splice(at, 1);
  else list.push(code);
  ed.state.doc.service_area.municipalities = list;
  ed.changed();
  ed.state.render();
}
