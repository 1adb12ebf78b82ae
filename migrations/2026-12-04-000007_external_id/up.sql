-- The key a network has in the source system it was imported from (a ROS's spreadsheet,
-- IKNL's overview): unique per ROS, so importing the same file again updates those networks
-- instead of creating copies.
ALTER TABLE networks
    ADD COLUMN external_id text
        CHECK (external_id IS NULL OR length(external_id) BETWEEN 1 AND 100);

CREATE UNIQUE INDEX networks_ros_external_id_idx
    ON networks (coalesce(ros_org, ''), external_id)
    WHERE external_id IS NOT NULL;

-- A bulk import keeps its own revisions: action 'imported' (created or updated by an import).
ALTER TABLE network_revisions DROP CONSTRAINT network_revisions_action_check;
ALTER TABLE network_revisions ADD CONSTRAINT network_revisions_action_check
    CHECK (action IN ('created', 'updated', 'transition', 'erased', 'area_rederived', 'imported'));
