-- A photo the engine could not take as it was (too large, rotated by EXIF, HEIC, ...) is fitted
-- to the engine's limits before it is sent: what was sent is recorded here, its SHA-256 and its
-- size in pixels. NULL for photos sent byte for byte, as every photo was before fitting existed.
ALTER TABLE extractions ADD COLUMN fitted_key BLOB;
ALTER TABLE extractions ADD COLUMN fitted_width INTEGER;
ALTER TABLE extractions ADD COLUMN fitted_height INTEGER;
