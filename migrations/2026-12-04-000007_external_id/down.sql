ALTER TABLE network_revisions DROP CONSTRAINT network_revisions_action_check;
ALTER TABLE network_revisions ADD CONSTRAINT network_revisions_action_check
    CHECK (action IN ('created', 'updated', 'transition', 'erased', 'area_rederived'));
DROP INDEX networks_ros_external_id_idx;
ALTER TABLE networks DROP COLUMN external_id;
