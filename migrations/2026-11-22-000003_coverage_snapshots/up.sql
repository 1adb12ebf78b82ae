-- The national coverage summary, per day and discipline ('' = every oncology care network),
-- so IKNL can follow progress towards national coverage.
CREATE TABLE coverage_snapshots (
    day                date             NOT NULL,
    layer              text             NOT NULL,
    discipline         text             NOT NULL DEFAULT '',
    networks           integer          NOT NULL CHECK (networks >= 0),
    area_km2           double precision NOT NULL,
    covered_km2        double precision NOT NULL,
    population         bigint           NOT NULL,
    covered_population bigint           NOT NULL,
    taken_at           timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (day, layer, discipline)
);
