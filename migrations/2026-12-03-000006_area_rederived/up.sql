-- A region layer re-import that changes a network's derived area bumps its version and keeps
-- a revision with the action 'area_rederived' (who: the import; what: area_km2).
ALTER TABLE network_revisions DROP CONSTRAINT network_revisions_action_check;
ALTER TABLE network_revisions ADD CONSTRAINT network_revisions_action_check
    CHECK (action IN ('created', 'updated', 'transition', 'erased', 'area_rederived'));
