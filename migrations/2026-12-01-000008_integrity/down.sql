ALTER TABLE final_ratings DROP COLUMN calibrated_at;
