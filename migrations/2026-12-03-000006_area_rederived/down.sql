DELETE FROM network_revisions WHERE action = 'area_rederived';
ALTER TABLE network_revisions DROP CONSTRAINT network_revisions_action_check;
ALTER TABLE network_revisions ADD CONSTRAINT network_revisions_action_check
    CHECK (action IN ('created', 'updated', 'transition', 'erased'));
