DROP TABLE network_revisions;
DROP TABLE networks;
