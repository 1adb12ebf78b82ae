-- The ROS working areas go with the layer.
DELETE FROM regions WHERE layer = 'ros_area';
DELETE FROM region_layers WHERE layer = 'ros_area';
ALTER TABLE regions DROP CONSTRAINT regions_layer_check;
ALTER TABLE regions ADD CONSTRAINT regions_layer_check
    CHECK (layer IN ('municipality', 'province', 'pc4'));
ALTER TABLE regions DROP CONSTRAINT regions_code_check;
ALTER TABLE regions ADD CONSTRAINT regions_code_check CHECK (length(code) BETWEEN 1 AND 32);
ALTER TABLE region_layers DROP CONSTRAINT region_layers_layer_check;
ALTER TABLE region_layers ADD CONSTRAINT region_layers_layer_check
    CHECK (layer IN ('municipality', 'province', 'pc4'));
