-- Adaptive polling (warehouse/polling.py): the interval a feed is polled at now, which
-- starts at its configured poll_interval_minutes and moves between a floor and a ceiling
-- with what each poll yields, and why it has its current value (shown by `feeds status`).
ALTER TABLE feeds ADD COLUMN current_interval_minutes INTEGER;
ALTER TABLE feeds ADD COLUMN interval_reason VARCHAR;
