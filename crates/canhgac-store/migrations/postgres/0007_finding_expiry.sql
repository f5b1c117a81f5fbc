-- An accepted risk or a false positive may carry an expiry: once it has passed, the next run that
-- still sees the finding reopens it, so "accepted" is a decision with a review date, not forever.
ALTER TABLE findings ADD COLUMN status_until BIGINT;
