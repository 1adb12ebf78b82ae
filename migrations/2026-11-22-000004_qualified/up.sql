-- Whether an oncology care network meets all ten LOPPSOZ criteria, computed on every write
-- from the profile (the criteria themselves are evaluated in onconet_domain::quality).
ALTER TABLE networks ADD COLUMN qualified boolean NOT NULL DEFAULT false;
CREATE INDEX networks_qualified_idx ON networks (qualified) WHERE qualified;
