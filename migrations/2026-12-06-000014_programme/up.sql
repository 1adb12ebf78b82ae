-- What the programme's documents ask of a profile (issue 19): an expert panel's consultation,
-- a regional network's or tumour group's founding date, meeting frequency and joint MDO, and
-- partners that are not networks in the registry, kept together in the shape the domain has
-- (`onconet_domain::programme::Programme`). Member roles and funder codes live inside
-- `members` and `financing`; a `rehabilitation` link kind is added to links and partners.
ALTER TABLE networks ADD COLUMN programme jsonb NOT NULL DEFAULT '{}'::jsonb
    CHECK (jsonb_typeof(programme) = 'object');
