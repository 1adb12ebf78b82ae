-- The national coverage report of GET /v1/coverage?layer=municipality&discipline=CODE, computed
-- by PostGIS with its best plan (scripts/bench-coverage.sh runs it, see docs/BENCHMARKS.md):
--   1. one ST_Union per filter of the matching networks' areas (published, active, type
--      oncology_care_network; filter `all` = no discipline condition);
--   2. the union cut with ST_Subdivide (disjoint pieces, GiST-indexed) so each region only
--      overlays the pieces it touches;
--   3. per region, the geodesic area (spheroid) of region ∩ union: the region's intersections
--      with the pieces it meets, united again, then measured. (Summing the pieces' areas
--      instead is wrong on the spheroid: ST_Subdivide cuts along straight lines in degrees, and
--      geography bends every edge into a geodesic, so the pieces overlap or leave gaps: up to
--      0.34 km² off for one municipality of this registry.)
-- Input tables (made by the script): coverage_filters(code), coverage_regions(code, population,
-- geom), coverage_networks(id, type, lifecycle, disciplines, geom).
-- psql variables: part, parts (this session computes the filters whose row number mod parts =
-- part, so several sessions can share the cores), out (the result table).
\set ON_ERROR_STOP 1
DROP TABLE IF EXISTS :out;

CREATE TEMP TABLE my_filters AS
SELECT code FROM (SELECT code, row_number() OVER (ORDER BY code) AS n FROM coverage_filters) f
WHERE n % :parts = :part;

-- 1. one union per filter
CREATE TEMP TABLE unions AS
SELECT f.code AS filter, ST_Union(n.geom) AS geom
FROM my_filters f
JOIN coverage_networks n
  ON n.type = 'oncology_care_network' AND n.lifecycle = 'active'
 AND (f.code = 'all' OR f.code = ANY (n.disciplines))
GROUP BY f.code;

-- 2. cut into pieces
CREATE TEMP TABLE pieces AS
SELECT filter, ST_Subdivide(geom, 256) AS geom FROM unions;
CREATE INDEX ON pieces USING gist (geom);
ANALYZE pieces;

-- 3. per region: covered area; regions no union reaches get 0
CREATE TABLE :out AS
SELECT f.code AS filter, r.code, r.population,
       ST_Area(r.geom::geography) / 1e6 AS area_km2,
       COALESCE((SELECT ST_Area(ST_Union(ST_Intersection(r.geom, p.geom))::geography) / 1e6
                 FROM pieces p
                 WHERE p.filter = f.code AND p.geom && r.geom AND ST_Intersects(p.geom, r.geom)), 0)
         AS covered_km2
FROM my_filters f CROSS JOIN coverage_regions r;
