// The console's pure document functions (crates/api/assets/console/js/merge.js) in Node: what
// a save sends as its merge patch, and how a 412 is resolved without losing an edit.

import { test } from "node:test";
import assert from "node:assert/strict";
import { canonical, changedFields, documentOf, mergePatch, rebase, same, sincePublished, threeWay } from "../../crates/api/assets/console/js/merge.js";

const base = {
  name: "A", type: "oncology_care_network", scale: "local", parent_id: null, lifecycle: "active",
  description: { nl: "x", en: null }, website: null, disciplines: ["physiotherapy"], tumour_types: [],
  financing: [], contacts: [], members: [], links: [], ros_org: "demo-ros",
  service_area: { municipalities: ["GM0014"], postcodes: [], geometry: null, circles: [] },
  quality: { minimum_participation: null, written_vision: null, non_profit: null, assessed_at: null },
  consultation: null, founded_on: null, meeting_frequency: null, mdo: null, partners: [],
};

test("equal documents are equal whatever their key order", () => {
  assert.equal(canonical({ b: 1, a: [1, { d: 2, c: 3 }] }), canonical({ a: [1, { c: 3, d: 2 }], b: 1 }));
  assert.ok(same({ a: 1, b: 2 }, { b: 2, a: 1 }));
  assert.ok(!same({ a: [1, 2] }, { a: [2, 1] }), "order in a list matters");
});

test("a network as the API returns it becomes its profile document", () => {
  const doc = documentOf({ ...base, id: "x", version: 3, state: "draft", qualification: {}, area_km2: 1 });
  assert.deepEqual(Object.keys(doc).sort(), Object.keys(base).sort());
});

test("the registry's toolbox links leave a financing entry's document", () => {
  const entry = { form: "insurer_contract", funder: "V", since: null, until: null, note: null };
  const network = { ...base, financing: [{ ...entry, toolbox: "/v1/toolbox?financing_form=insurer_contract" }] };
  assert.deepEqual(documentOf(network).financing, [entry]);
  assert.equal(network.financing[0].toolbox, "/v1/toolbox?financing_form=insurer_contract", "the network itself is left as it was");
});

test("the merge patch holds exactly the changed fields, whole", () => {
  const mine = structuredClone(base);
  mine.website = "https://a.nl";
  mine.service_area.circles.push({ lat: 53.2, lon: 6.5, radius_km: 2 });
  assert.deepEqual(changedFields(base, mine), ["website", "service_area"]);
  assert.deepEqual(mergePatch(base, mine), { website: "https://a.nl", service_area: mine.service_area });
  assert.deepEqual(mergePatch(base, structuredClone(base)), {});
});

test("someone else's change and mine on different fields: both kept", () => {
  const mine = { ...structuredClone(base), website: "https://mine.nl" };
  const theirs = { ...structuredClone(base), name: "B" };
  assert.deepEqual(threeWay(base, mine, theirs), { theirs: ["name"], mine: ["website"], conflicts: [] });
  const merged = rebase(base, mine, theirs);
  assert.equal(merged.name, "B");
  assert.equal(merged.website, "https://mine.nl");
});

test("both changed one field: the user's choice wins, mine by default in the choice list", () => {
  const mine = { ...structuredClone(base), disciplines: ["physiotherapy", "dietetics"] };
  const theirs = { ...structuredClone(base), disciplines: ["psychology"] };
  assert.deepEqual(threeWay(base, mine, theirs).conflicts, ["disciplines"]);
  assert.deepEqual(rebase(base, mine, theirs, { disciplines: "mine" }).disciplines, ["physiotherapy", "dietetics"]);
  assert.deepEqual(rebase(base, mine, theirs, { disciplines: "theirs" }).disciplines, ["psychology"]);
  // The same new value on both sides is no conflict.
  const alike = { ...structuredClone(base), disciplines: ["psychology"] };
  assert.deepEqual(threeWay(base, alike, theirs).conflicts, []);
});

test("what a reviewer sees: the changes since the last publication, per field then and now", () => {
  const history = [
    { state: "draft", changes: [{ field: "name", old: null, new: "A" }, { field: "website", old: null, new: null }] },
    { state: "submitted", changes: [{ field: "state", old: "draft", new: "submitted" }] },
    { state: "published", changes: [{ field: "state", old: "submitted", new: "published" }] },
    { state: "draft", changes: [{ field: "state", old: "published", new: "draft" }, { field: "reason", old: null, new: "rework" }] },
    { state: "draft", changes: [{ field: "website", old: null, new: "https://a.nl" }, { field: "name", old: "A", new: "B" }] },
    { state: "draft", changes: [{ field: "name", old: "B", new: "A" }] },
    { state: "submitted", changes: [{ field: "state", old: "draft", new: "submitted" }] },
  ];
  // The name went A → B → A: no change. The website is new since publication.
  assert.deepEqual(sincePublished(history), { published: true, changes: [{ field: "website", old: null, new: "https://a.nl" }] });
  // Never published: everything since the start.
  const fresh = sincePublished(history.slice(0, 2));
  assert.equal(fresh.published, false);
  assert.deepEqual(fresh.changes, [{ field: "name", old: null, new: "A" }]);
});
