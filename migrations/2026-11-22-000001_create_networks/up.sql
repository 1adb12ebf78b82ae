-- Network profiles. Scalar fields are columns (filtered, sorted, constrained); nested lists
-- (financing, contacts, members, links) and the service area as given are JSONB documents in
-- the shape the API speaks. Code lists are text arrays so "all of" filters use GIN (`@>`).
CREATE TABLE networks (
    id               uuid PRIMARY KEY,
    name             text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    network_type     text        NOT NULL CHECK (network_type IN
                         ('regional_oncology_network', 'network_tumour_group', 'expert_panel', 'oncology_care_network')),
    scale            text        NOT NULL CHECK (scale IN ('local', 'regional', 'supra_regional')),
    parent_id        uuid        REFERENCES networks (id),
    lifecycle        text        NOT NULL CHECK (lifecycle IN ('in_formation', 'active', 'inactive')),
    state            text        NOT NULL DEFAULT 'draft'
                         CHECK (state IN ('draft', 'submitted', 'published', 'archived')),
    description      jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(description) = 'object'),
    website          text,
    disciplines      text[]      NOT NULL DEFAULT '{}',
    tumour_types     text[]      NOT NULL DEFAULT '{}',
    financing        jsonb       NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(financing) = 'array'),
    contacts         jsonb       NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(contacts) = 'array'),
    members          jsonb       NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(members) = 'array'),
    links            jsonb       NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(links) = 'array'),
    ros_org          text,
    service_area     jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(service_area) = 'object'),
    quality          jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(quality) = 'object'),
    last_verified_at timestamptz,
    demo             boolean     NOT NULL DEFAULT false,
    version          bigint      NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS NULL OR parent_id <> id)
);

CREATE INDEX networks_state_name_idx ON networks (state, lower(name), id);
CREATE INDEX networks_updated_at_idx ON networks (updated_at);
CREATE INDEX networks_disciplines_idx ON networks USING gin (disciplines);
CREATE INDEX networks_tumour_types_idx ON networks USING gin (tumour_types);
CREATE INDEX networks_parent_idx ON networks (parent_id);
CREATE INDEX networks_ros_org_idx ON networks (ros_org);

-- Every write keeps a revision in the same transaction: who, when, what changed, and the
-- profile as it was afterwards (the basis of history, the change feed and "as of" reports).
CREATE TABLE network_revisions (
    id          bigserial PRIMARY KEY,
    network_id  uuid        NOT NULL REFERENCES networks (id),
    version     bigint      NOT NULL,
    action      text        NOT NULL CHECK (action IN ('created', 'updated', 'transition')),
    actor_sub   text        NOT NULL,
    actor_name  text,
    request_id  text,
    changes     jsonb       NOT NULL CHECK (jsonb_typeof(changes) = 'array'),
    snapshot    jsonb       NOT NULL,
    state       text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (network_id, version)
);

CREATE INDEX network_revisions_created_at_idx ON network_revisions (created_at);
