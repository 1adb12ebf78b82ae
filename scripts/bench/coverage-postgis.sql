-- The national coverage report of GET /v1/coverage?layer=municipality&discipline=CODE, computed
-- by PostGIS with the plan of issue 4 (scripts/bench-coverage.sh runs it, see docs/BENCHMARKS.md):
--   1. one ST_Union per filter of the matching networks' areas (published, active, type
--      oncology_care_network; filter `all` = no discipline condition);
--   2. per region, the geodesic area (spheroid) of ST_Intersection(region, union), for the
--      regions whose box meets the union's.
-- Not ST_Subdivide: cutting the union into pieces makes it faster, but the figures wrong.
-- Summing the pieces' geodesic areas is off by up to 0.34 km² for one municipality (the cuts
-- are straight lines in degrees that geography bends into geodesics), and even uniting a
-- region's intersections with the pieces again before measuring left Lelystad (GM0995), which
-- two networks cover entirely, 0.0136 km² short of its own area.
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

-- 2. per region: covered area; regions the union does not reach get 0
CREATE TABLE :out AS
SELECT f.code AS filter, r.code, r.population,
       ST_Area(r.geom::geography) / 1e6 AS area_km2,
       CASE WHEN u.geom IS NOT NULL AND u.geom && r.geom
            THEN ST_Area(ST_Intersection(r.geom, u.geom)::geography) / 1e6
            ELSE 0 END AS covered_km2
FROM my_filters f
CROSS JOIN coverage_regions r
LEFT JOIN unions u ON u.filter = f.code;
