-- Objection windows follow the predikat in force (PP 30/2019 art. 59): a calibration after the
-- rating was issued opens a new window from that moment. Null: never calibrated.
ALTER TABLE final_ratings ADD COLUMN calibrated_at timestamptz;
UPDATE final_ratings SET calibrated_at = (calibration ->> 'at')::timestamptz WHERE calibration IS NOT NULL;
