-- The address a refresh token was spent from: the same client showing it again within the grace
-- window (a second browser tab refreshing at the same moment) gets the same new pair.
ALTER TABLE refresh_tokens ADD COLUMN spent_from text;
