ALTER TABLE networks DROP COLUMN qualified;
