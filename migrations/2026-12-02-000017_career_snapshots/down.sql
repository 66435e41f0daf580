DROP TABLE career_snapshots;
