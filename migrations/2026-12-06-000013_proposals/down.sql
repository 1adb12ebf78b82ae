DROP TABLE network_proposals;
