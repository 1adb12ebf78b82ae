-- pgbench script for scripts/bench-search.sh: the question of the default /v1/search, asked of
-- PostGIS the way a team would build it: the 20 published networks nearest a random point of the
-- box (lon 3.36–7.23, lat 50.75–53.55) within 25 km, ordered by distance to their area (0 inside
-- it), answered as one JSON array of {covers, distance_km, network: stored public profile}.
-- `onconet-bench peer-check` runs this same statement (`:lon`/`:lat` bound) and compares it with
-- the API's answer.
\set lon 3.36 + random(0, 3870000) / 1000000.0
\set lat 50.75 + random(0, 2800000) / 1000000.0
WITH near AS (
  SELECT id, min(ST_Distance(geom, ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 28992))) AS d
    FROM bench_areas_rd
   WHERE ST_DWithin(geom, ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 28992), 25000)
   GROUP BY id
   ORDER BY d, id
   LIMIT 20
)
SELECT coalesce(json_agg(json_build_object('covers', near.d = 0,
                                           'distance_km', round(near.d::numeric / 1000, 3),
                                           'network', a.profile)
                         ORDER BY near.d, near.id), '[]'::json)
  FROM near JOIN bench_areas a USING (id);
