-- `events_state_happen (state, happen_at_ms)` serves every query by state (the decider's, the
-- held and parked lists, retention); `events_state_id` served the decider's old order by id and
-- is only written now: dropping it saves an index update on every insert and every decision.
DROP INDEX IF EXISTS events_state_id;
