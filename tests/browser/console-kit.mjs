// What the console's browser tests share: axe-core, screenshots, waiting for the form's
// preview, and places on the area editor's map.

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
