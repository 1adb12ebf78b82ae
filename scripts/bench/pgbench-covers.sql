-- pgbench script for scripts/bench-search.sh: the point-in-polygon question of /v1/search
-- (radius 0) asked of PostGIS, at a random point of the same box the other tools use
-- (lon 3.36–7.23, lat 50.75–53.55), against the ST_Subdivide'd areas with their GiST index.
\set lon 3.36 + random(0, 3870000) / 1000000.0
\set lat 50.75 + random(0, 2800000) / 1000000.0
SELECT DISTINCT id FROM bench_areas_sub
 WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326));
