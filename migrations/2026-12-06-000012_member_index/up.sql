-- Finding by relation (issue 19): which networks a practice (AGB) or organisation (KvK) takes
-- part in is a containment test on the members document (`members @> '[{"agb": "…"}]'`).
CREATE INDEX networks_members_idx ON networks USING gin (members jsonb_path_ops);
