-- Region layers (CBS municipalities, provinces, PC4 areas) with population and geometry.
-- Geometry is stored as GeoJSON; PostgreSQL stores it, Rust computes with it (no PostGIS).
CREATE TABLE regions (
    layer       text             NOT NULL CHECK (layer IN ('municipality', 'province', 'pc4')),
    code        text             NOT NULL CHECK (length(code) BETWEEN 1 AND 32),
    name        text             NOT NULL,
    population  bigint           CHECK (population >= 0),
    area_km2    double precision NOT NULL CHECK (area_km2 >= 0),
    geometry    jsonb            NOT NULL CHECK (geometry ->> 'type' = 'MultiPolygon'),
    PRIMARY KEY (layer, code)
);

-- One row per imported layer: where it came from and a version that changes on re-import.
CREATE TABLE region_layers (
    layer         text        PRIMARY KEY CHECK (layer IN ('municipality', 'province', 'pc4')),
    source        text        NOT NULL,
    feature_count integer     NOT NULL,
    version       bigint      NOT NULL DEFAULT 1,
    imported_at   timestamptz NOT NULL DEFAULT now()
);

-- The service area derived from the parts a network gives (a MultiPolygon), and its size.
ALTER TABLE networks
    ADD COLUMN area     jsonb CHECK (area IS NULL OR area ->> 'type' = 'MultiPolygon'),
    ADD COLUMN area_km2 double precision CHECK (area_km2 IS NULL OR area_km2 >= 0);
