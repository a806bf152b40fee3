-- The inbox: every access event HikCentral pushed or we polled, stored raw before the push is
-- answered, unique by eventId. Repeats are counted, not stored twice.
CREATE TABLE events (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       TEXT   NOT NULL UNIQUE,
    source         TEXT   NOT NULL,            -- push | poll (the first to arrive)
    event_type     BIGINT NOT NULL,
    happen_at_ms   BIGINT NOT NULL,            -- UTC milliseconds
    happen_time    TEXT   NOT NULL,            -- as HikCentral sent it, offset included
    door_index     TEXT   NOT NULL,
    door_name      TEXT   NOT NULL,
    person_code    TEXT,
    person_id      TEXT,
    isc_person_no  TEXT,
    card_no        TEXT,
    isc_in_out     TEXT,                       -- entry | exit, iSecure Center only
    raw            TEXT   NOT NULL,            -- the event JSON as received
    received_at_ms BIGINT NOT NULL,
    repeats        BIGINT NOT NULL DEFAULT 0,  -- later arrivals of the same eventId (push or poll)
    state          TEXT   NOT NULL DEFAULT 'new', -- new | decided | held | parked
    decision       TEXT,                       -- punch | skip | park | hold
    reason         TEXT,                       -- stable reason code (not_granted, unmapped_door, …)
    detail         TEXT,                       -- human explanation
    decided_at_ms  BIGINT,
    hold_until_ms  BIGINT
);
CREATE INDEX events_state_id ON events (state, id);
CREATE INDEX events_happen ON events (happen_at_ms);

-- Events whose meaning was unusable (no id, no type, no time): kept with the reason.
CREATE TABLE rejected_events (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       TEXT,
    source         TEXT   NOT NULL,
    reason         TEXT   NOT NULL,
    raw            TEXT   NOT NULL,
    received_at_ms BIGINT NOT NULL
);
