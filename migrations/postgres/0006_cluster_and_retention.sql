-- Several replicas on one database, and retention.
--
-- `leases`: a named lease per cluster-wide role (the leader runs the decider, delivery, poller,
-- reconciler, job runner and retention); it is taken over when its holder stops renewing it.
CREATE TABLE leases (
    name           TEXT   PRIMARY KEY,
    owner          TEXT   NOT NULL,
    until_ms       BIGINT NOT NULL,
    acquired_at_ms BIGINT NOT NULL
);
-- `replicas`: every running process writes its heartbeat here (also the store's write probe).
CREATE TABLE replicas (
    owner         TEXT   PRIMARY KEY,
    started_at_ms BIGINT NOT NULL,
    seen_at_ms    BIGINT NOT NULL
);
-- A punch being delivered is claimed by one replica until `lease_until_ms`.
ALTER TABLE punches ADD COLUMN lease_owner TEXT;
ALTER TABLE punches ADD COLUMN lease_until_ms BIGINT;
-- The decider's query (state, then event time) and retention's (state, age).
CREATE INDEX events_state_happen ON events (state, happen_at_ms);
CREATE INDEX events_received ON events (received_at_ms);
CREATE INDEX punches_state_updated ON punches (state, updated_at_ms);
CREATE INDEX rejected_events_received ON rejected_events (received_at_ms);
