-- The like-for-like peer of /v1/search in PostGIS (scripts/bench-search.sh, issue 18 item 6): the
-- exported areas (bench_areas) in the Dutch national grid, EPSG:28992 (RD New: metres, within
-- 0.03 % of true distances across the country), cut into pieces of at most 64 vertices with a
-- GiST index, so that "within 25 km, nearest first" is an index scan plus exact distances to a
-- few small pieces.
DROP TABLE IF EXISTS bench_areas_rd;
CREATE TABLE bench_areas_rd AS
  SELECT id, ST_Subdivide(ST_Transform(geom, 28992), 64) AS geom FROM bench_areas;
CREATE INDEX bench_areas_rd_geom ON bench_areas_rd USING gist (geom);
ANALYZE bench_areas_rd;
ANALYZE bench_areas;
SELECT (SELECT count(*) FROM bench_areas) AS areas,
       (SELECT count(*) FROM bench_areas_rd) AS pieces,
       (SELECT pg_size_pretty(sum(pg_column_size(profile))) FROM bench_areas) AS profiles;
