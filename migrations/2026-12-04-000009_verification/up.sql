-- Re-verification (issue 17): a published network is re-confirmed without a full review
-- (revision action 'verified'), and a network whose verification has run out is announced to
-- webhook subscribers once per verification (`network.verification_due`).
ALTER TABLE network_revisions DROP CONSTRAINT network_revisions_action_check;
ALTER TABLE network_revisions ADD CONSTRAINT network_revisions_action_check
    CHECK (action IN ('created', 'updated', 'transition', 'erased', 'area_rederived', 'imported', 'verified'));

-- One row per network and verification that ran out: `verified_at` is the network's
-- last_verified_at (or its creation) when it became due, so the same overdue verification is
-- announced once, and a new one after the next verification runs out.
CREATE TABLE verification_reminders (
    network_id   uuid        NOT NULL REFERENCES networks (id),
    verified_at  timestamptz NOT NULL,
    announced_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (network_id, verified_at)
);
