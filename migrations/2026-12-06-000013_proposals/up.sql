-- Proposed changes (issue 19): a ROS adviser's change to a published network waits here for
-- IKNL's review while the published profile stays as it is; an adviser's "still correct" on a
-- published network waits here for staff to confirm it (kind 'verification'). At most one
-- proposal per network is pending. Decided proposals are kept: with the revisions they are
-- the network's history.
CREATE TABLE network_proposals (
    id               uuid        PRIMARY KEY,
    network_id       uuid        NOT NULL REFERENCES networks (id),
    kind             text        NOT NULL CHECK (kind IN ('change', 'verification')),
    state            text        NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending', 'accepted', 'rejected', 'withdrawn')),
    -- The network version the proposal was made on: it is accepted only while that version
    -- is current (another change in between would otherwise be overwritten unseen).
    base_version     bigint      NOT NULL CHECK (base_version >= 1),
    -- Moves on with every amendment (the proposal's ETag: a reviewer accepts what they saw).
    version          bigint      NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- The proposed profile, in the shape PATCH applies to (NULL for a verification).
    document         jsonb       CHECK (document IS NULL OR jsonb_typeof(document) = 'object'),
    -- What it changes against the base version, field by field (as in revisions).
    changes          jsonb       NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(changes) = 'array'),
    note             text,
    proposed_by      text        NOT NULL,
    proposed_by_name text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    decided_by       text,
    decided_by_name  text,
    decided_at       timestamptz,
    reason           text,
    -- The network version an acceptance wrote.
    applied_version  bigint,
    CHECK ((kind = 'change') = (document IS NOT NULL)),
    CHECK ((state = 'pending') = (decided_at IS NULL)),
    CHECK ((state = 'accepted') = (applied_version IS NOT NULL))
);

CREATE UNIQUE INDEX network_proposals_one_pending_idx ON network_proposals (network_id) WHERE state = 'pending';
CREATE INDEX network_proposals_network_idx ON network_proposals (network_id, created_at);
CREATE INDEX network_proposals_pending_idx ON network_proposals (created_at) WHERE state = 'pending';
