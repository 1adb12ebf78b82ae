-- The areas exported by `onconet-bench export` (bench_areas), cut into pieces of at most 64
-- vertices with a GiST index: the standard way to make PostGIS point-in-polygon fast, and the
-- same piece size the API's in-memory index uses.
DROP TABLE IF EXISTS bench_areas_sub;
CREATE TABLE bench_areas_sub AS
  SELECT id, ST_Subdivide(geom, 64) AS geom FROM bench_areas;
CREATE INDEX bench_areas_sub_geom ON bench_areas_sub USING gist (geom);
ANALYZE bench_areas_sub;
SELECT (SELECT count(*) FROM bench_areas) AS areas,
       (SELECT count(*) FROM bench_areas_sub) AS pieces,
       (SELECT max(ST_NPoints(geom)) FROM bench_areas_sub) AS max_vertices_per_piece;
