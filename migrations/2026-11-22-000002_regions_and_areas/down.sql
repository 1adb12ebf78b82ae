ALTER TABLE networks DROP COLUMN area_km2, DROP COLUMN area;
DROP TABLE region_layers;
DROP TABLE regions;
