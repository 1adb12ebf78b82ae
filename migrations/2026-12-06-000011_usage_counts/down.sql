DROP TABLE usage_counts;
