DROP TABLE verification_reminders;
UPDATE network_revisions SET action = 'updated' WHERE action = 'verified';
ALTER TABLE network_revisions DROP CONSTRAINT network_revisions_action_check;
ALTER TABLE network_revisions ADD CONSTRAINT network_revisions_action_check
    CHECK (action IN ('created', 'updated', 'transition', 'erased', 'area_rederived', 'imported'));
