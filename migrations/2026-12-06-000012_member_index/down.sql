DROP INDEX networks_members_idx;
