-- The financing toolbox (issue 17): knowledge items for people who lead or start a network,
-- written through the same draft → submitted → published workflow as networks, with history,
-- and searched in Dutch and English with PostgreSQL text search.

-- Accents do not matter to a search ("patiënt" finds "patient"); `unaccent` is a trusted
-- extension, so the database owner may create it.
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TEXT SEARCH CONFIGURATION onconet_dutch (COPY = pg_catalog.dutch);
ALTER TEXT SEARCH CONFIGURATION onconet_dutch
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, dutch_stem;
CREATE TEXT SEARCH CONFIGURATION onconet_english (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION onconet_english
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;

CREATE TABLE toolbox_items (
    id              uuid        PRIMARY KEY,
    kind            text        NOT NULL CHECK (kind IN ('guide', 'example_document', 'good_practice', 'training', 'advice', 'project')),
    title_nl        text        NOT NULL,
    title_en        text        NOT NULL,
    summary_nl      text        NOT NULL,
    summary_en      text        NOT NULL,
    -- Markdown as written; `body_text` is its plain text (computed by the registry), which the
    -- search reads.
    body            text        NOT NULL DEFAULT '',
    body_text       text        NOT NULL DEFAULT '',
    financing_forms text[]      NOT NULL DEFAULT '{}',
    network_types   text[]      NOT NULL DEFAULT '{}',
    stage           text        NOT NULL CHECK (stage IN ('starting', 'developing', 'professionalising')),
    url             text,
    network_ids     uuid[]      NOT NULL DEFAULT '{}',
    reviewed_at     date        NOT NULL,
    review_due      date        NOT NULL CHECK (review_due > reviewed_at),
    ros_org         text,
    state           text        NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'submitted', 'published', 'archived')),
    demo            boolean     NOT NULL DEFAULT false,
    version         bigint      NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- Titles weigh most, then summaries, then the body.
    search_nl tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('onconet_dutch'::regconfig, title_nl), 'A') ||
        setweight(to_tsvector('onconet_dutch'::regconfig, summary_nl), 'B') ||
        setweight(to_tsvector('onconet_dutch'::regconfig, body_text), 'C')
    ) STORED,
    search_en tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('onconet_english'::regconfig, title_en), 'A') ||
        setweight(to_tsvector('onconet_english'::regconfig, summary_en), 'B') ||
        setweight(to_tsvector('onconet_english'::regconfig, body_text), 'C')
    ) STORED
);

CREATE INDEX toolbox_items_search_nl ON toolbox_items USING gin (search_nl);
CREATE INDEX toolbox_items_search_en ON toolbox_items USING gin (search_en);
CREATE INDEX toolbox_items_financing_forms ON toolbox_items USING gin (financing_forms);
CREATE INDEX toolbox_items_state ON toolbox_items (state, review_due);

CREATE TABLE toolbox_revisions (
    id          bigserial   PRIMARY KEY,
    item_id     uuid        NOT NULL REFERENCES toolbox_items (id),
    version     bigint      NOT NULL,
    action      text        NOT NULL CHECK (action IN ('created', 'updated', 'transition')),
    actor_sub   text        NOT NULL,
    actor_name  text,
    request_id  text,
    changes     jsonb       NOT NULL,
    snapshot    jsonb       NOT NULL,
    state       text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (item_id, version)
);
