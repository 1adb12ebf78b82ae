-- Webhook subscriptions, the outbox of events and their deliveries (DESIGN §9: webhooks leave
-- through an outbox written in the same transaction as the change).

CREATE TABLE webhook_subscriptions (
    id uuid PRIMARY KEY,
    url text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    events text[] NOT NULL CHECK (cardinality(events) >= 1),
    -- The signing key (`whsec_` + base64). Needed in the clear to sign; never shown again
    -- after the subscription is created, never logged.
    secret text NOT NULL,
    state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'disabled')),
    disabled_reason text,
    disabled_at timestamptz,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One event, as every subscriber receives it: `id` is the `webhook-id` of every attempt.
CREATE TABLE webhook_events (
    id text PRIMARY KEY,
    type text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_created_at_idx ON webhook_events (created_at);

-- An event owed to a subscription: written with the event (fanned out to the subscriptions
-- active then), taken by a worker for `leased_until`, retried with backoff until delivered or
-- given up.
CREATE TABLE webhook_deliveries (
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id text NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    leased_until timestamptz,
    delivered_at timestamptz,
    last_status int,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Where the retry window starts: the event, or the subscription's re-activation.
    retry_from timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (subscription_id, created_at DESC);

-- Every attempt, for the delivery log.
CREATE TABLE webhook_attempts (
    id bigserial PRIMARY KEY,
    subscription_id uuid NOT NULL,
    event_id text NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    status int,
    error text,
    duration_ms int NOT NULL,
    FOREIGN KEY (subscription_id, event_id)
        REFERENCES webhook_deliveries (subscription_id, event_id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (subscription_id, event_id);
