// Pure functions over network documents (the profile fields as the API reads and writes them):
// what changed, the merge patch that makes the change, and a three-way merge for when someone
// else saved first (412). Fields are the top-level keys; a merge patch replaces a field's
// value as a whole when it is an array, and the console always sends whole objects.

/** The fields of a profile document (what PATCH and the preview take). */
export const FIELDS = [
  "name", "type", "scale", "parent_id", "lifecycle", "description", "website", "disciplines",
  "tumour_types", "financing", "contacts", "members", "links", "ros_org", "service_area", "quality",
  "consultation", "founded_on", "meeting_frequency", "mdo", "partners",
];

/** JSON with object keys sorted: equal documents give equal strings. */
export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => value[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value === undefined ? null : value);
}

export function same(a, b) {
  return canonical(a) === canonical(b);
}

/** Links the registry adds to a field's entries: shown, never written back. */
const LINKS = { financing: ["toolbox"] };

/** The profile document of a network as the API returns it (without the registry's links). */
export function documentOf(network) {
  const doc = {};
  for (const f of FIELDS) doc[f] = network[f] === undefined ? null : structuredClone(network[f]);
  for (const [f, keys] of Object.entries(LINKS)) {
    for (const entry of Array.isArray(doc[f]) ? doc[f] : []) for (const k of keys) delete entry[k];
  }
  return doc;
}

/** The fields whose value differs between `a` and `b`. */
export function changedFields(a, b) {
  return FIELDS.filter((f) => !same(a[f], b[f]));
}

/** The JSON Merge Patch (RFC 7396) that turns `base` into `doc`: the changed fields. */
export function mergePatch(base, doc) {
  const patch = {};
  for (const f of changedFields(base, doc)) patch[f] = doc[f] === undefined ? null : doc[f];
  return patch;
}

/**
 * Someone else saved `theirs` over `base` while the user edited `mine`. Returns the fields
 * only they changed, those only the user changed, and the conflicts: changed by both to
 * different values.
 */
export function threeWay(base, mine, theirs) {
  const minesChanges = new Set(changedFields(base, mine));
  const theirChanges = new Set(changedFields(base, theirs));
  const conflicts = [...minesChanges].filter((f) => theirChanges.has(f) && !same(mine[f], theirs[f]));
  return {
    theirs: [...theirChanges].filter((f) => !conflicts.includes(f)),
    mine: [...minesChanges].filter((f) => !conflicts.includes(f)),
    conflicts,
  };
}

/**
 * `theirs` with the user's changes applied: every field only the user changed, and for each
 * conflict the user's value where `choices[field]` is "mine" (theirs otherwise).
 */
export function rebase(base, mine, theirs, choices = {}) {
  const { mine: onlyMine, conflicts } = threeWay(base, mine, theirs);
  const merged = structuredClone(theirs);
  for (const f of onlyMine) merged[f] = structuredClone(mine[f]);
  for (const f of conflicts) if (choices[f] === "mine") merged[f] = structuredClone(mine[f]);
  return merged;
}

/**
 * What changed since the network was last published, from its history (revisions oldest
 * first, each `{state, changes: [{field, old, new}]}`): per field its value then and now.
 * `published` is false when it never was (then every field it has is new).
 */
export function sincePublished(revisions) {
  let from = 0;
  let published = false;
  revisions.forEach((r, i) => {
    if (r.state === "published") {
      from = i + 1;
      published = true;
    }
  });
  const fields = new Map();
  for (const r of revisions.slice(from)) {
    for (const c of r.changes) {
      if (c.field === "state" || c.field === "reason") continue;
      const seen = fields.get(c.field);
      fields.set(c.field, { field: c.field, old: seen ? seen.old : c.old, new: c.new });
    }
  }
  return { published, changes: [...fields.values()].filter((c) => !same(c.old, c.new)) };
}
