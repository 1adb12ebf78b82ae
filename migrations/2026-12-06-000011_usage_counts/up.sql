-- Anonymous usage counts (issue 17): per day, what was searched or opened and whether
-- anything was found. Anonymous by construction: no column can hold an address, a user agent,
-- a token subject or a cookie. Counts are written in batches by each instance (adding to the
-- day's count), shown only from 5 up, and deleted after 24 months.
CREATE TABLE usage_counts (
    day     date   NOT NULL,
    kind    text   NOT NULL CHECK (kind IN ('finder_search', 'toolbox_search', 'toolbox_view')),
    -- finder_search: the place's municipality code ('' outside every municipality);
    -- toolbox_search: the search's terms, stop words removed; toolbox_view: the item id.
    subject text   NOT NULL CHECK (length(subject) <= 300),
    -- The filter used, canonical ('' for none).
    filter  text   NOT NULL CHECK (length(filter) <= 2000),
    found   boolean NOT NULL,
    count   bigint NOT NULL CHECK (count > 0),
    PRIMARY KEY (day, kind, subject, filter, found)
);
CREATE INDEX usage_counts_kind_day ON usage_counts (kind, day);
