// Region outlines for the console's maps: the API's own region GeoJSON simplified for the map's
// zoom level (`/v1/regions/{layer}?zoom=`). A map asks for a coarse version first and a finer
// one once the user zooms in; each level is fetched once per page (and cached by the browser).

import { api } from "./api.js";

/** The levels asked for: the whole country, then finer steps as the map zooms in. */
const LEVELS = [7, 9, 11, 13];
const fetched = new Map();

/** The level of outline detail for a map at `zoom`: the coarsest that is fine enough. */
export function levelFor(zoom) {
  return LEVELS.find((l) => l >= Math.ceil(zoom)) ?? LEVELS[LEVELS.length - 1];
}

/** The outlines of `layer` at `level`, a GeoJSON FeatureCollection (every region of the layer). */
export function outlines(layer, level) {
  const key = `${layer}/${level}`;
  if (!fetched.has(key)) {
    const request = api(`/v1/regions/${layer}?format=geojson&per_page=5000&zoom=${level}`, { headers: { Accept: "application/geo+json" } }).then((r) => r.body);
    request.catch(() => fetched.delete(key)); // a failed fetch may be tried again
    fetched.set(key, request);
  }
  return fetched.get(key);
}

/**
 * Calls `show(collection, level)` with finer outlines of `layer()` whenever the map is zoomed
 * in beyond what `shown()` has (the caller says which layer and level it shows now).
 */
export function refineOnZoom(map, layer, shown, show) {
  map.on("zoomend", async () => {
    const want = levelFor(map.getZoom());
    const name = layer();
    if (want <= shown()) return;
    const collection = await outlines(name, want);
    if (name === layer() && want > shown()) show(collection, want);
  });
}
