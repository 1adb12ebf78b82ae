-- ROS working areas (issue 19, item 5): a region layer whose codes are ROS organisation codes
-- (`OrgCode`: 2–64 lowercase letters, digits, '-' and '_'), so codes may be longer than 32.
ALTER TABLE regions DROP CONSTRAINT regions_layer_check;
ALTER TABLE regions ADD CONSTRAINT regions_layer_check
    CHECK (layer IN ('municipality', 'province', 'pc4', 'ros_area'));
ALTER TABLE regions DROP CONSTRAINT regions_code_check;
ALTER TABLE regions ADD CONSTRAINT regions_code_check CHECK (length(code) BETWEEN 1 AND 64);
ALTER TABLE region_layers DROP CONSTRAINT region_layers_layer_check;
ALTER TABLE region_layers ADD CONSTRAINT region_layers_layer_check
    CHECK (layer IN ('municipality', 'province', 'pc4', 'ros_area'));
