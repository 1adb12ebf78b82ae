ALTER TABLE networks DROP COLUMN programme;
