-- An admin may erase a contact's personal data, also from the history; that step is itself a
-- revision with the action 'erased' (and no personal data).
ALTER TABLE network_revisions DROP CONSTRAINT network_revisions_action_check;
ALTER TABLE network_revisions ADD CONSTRAINT network_revisions_action_check
    CHECK (action IN ('created', 'updated', 'transition', 'erased'));
