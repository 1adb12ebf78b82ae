// What the console's browser tests share: axe-core, screenshots, waiting for the form's
// preview, places on the area editor's map and the map story both sign-ins tell.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = process.env.ARTIFACTS_DIR || path.resolve(HERE, "../../artifacts");

/** axe-core on the page as it is: the serious and critical violations (none allowed). */
export async function axe(page, name) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }),
  );
  const bad = result.violations.filter((v) => ["serious", "critical"].includes(v.impact));
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`),
    [],
    `axe-core on ${name}`,
  );
  return result;
}

export async function shot(page, file) {
  const target = path.join(ARTIFACTS, file);
  await page.screenshot({ path: target, fullPage: true });
  return target;
}

/** Waits until the form's preview has answered for what is in the form now. */
export async function previewSettled(page) {
  await page.waitForFunction(() => {
    const box = document.getElementById("loppsoz");
    return box && !box.textContent.includes("Loading");
  });
  await page.waitForTimeout(700); // the preview waits 400 ms after the last keystroke
  await page.waitForLoadState("networkidle");
}

/** The page position of a place on the area editor's map. */
export async function mapPoint(page, lat, lon) {
  return page.evaluate(([la, lo]) => {
    const map = document.getElementById("area-map").leafletMap;
    const p = map.latLngToContainerPoint([la, lo]);
    const box = map.getContainer().getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  }, [lat, lon]);
}

/**
 * The map story both sign-ins tell: Groningen (city centre) and Assen clicked on the CBS layer,
 * then a circle west of them with Geoman's circle tool (a click for the centre, one for the
 * radius). Returns the drawn circle's radius in km.
 */
export async function drawGroningenAssenAndCircle(page) {
  await page.locator("#area-map").scrollIntoViewIfNeeded();
  for (const [lat, lon] of [[53.2194, 6.5665], [52.9971, 6.5503]]) {
    const p = await mapPoint(page, lat, lon);
    await page.mouse.click(p.x, p.y);
    await page.waitForTimeout(200);
  }
  assert.equal(await page.inputValue("#f-service-area-municipalities"), "GM0014, GM0106");
  await page.locator(".leaflet-pm-icon-circle").click();
  const centre = await mapPoint(page, 53.1, 6.25);
  const edge = await mapPoint(page, 53.1, 6.33);
  await page.mouse.click(centre.x, centre.y);
  await page.mouse.click(edge.x, edge.y);
  await page.locator("#f-service-area-circles-0-radius-km").waitFor();
  return Number(await page.inputValue("#f-service-area-circles-0-radius-km"));
}

/** Waits until the dashboard shows a choice made after `generation`; its figures. */
export async function dashboardReady(page, generation = 0) {
  await page.waitForFunction((g) => {
    const d = document.getElementById("dashboard");
    return d && d.dataset.ready === "true" && Number(d.dataset.generation) > g;
  }, generation);
  return page.evaluate(() => {
    const d = document.getElementById("dashboard").dataset;
    return {
      generation: Number(d.generation),
      readyAt: Number(d.readyAt),
      redrawMs: Number(d.redrawMs),
      covered: Number(document.getElementById("covered-population").dataset.value),
    };
  });
}
