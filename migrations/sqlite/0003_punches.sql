-- The outbox: one punch per decided event, delivered to Humand FIFO per employee.
CREATE TABLE punches (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id           TEXT   NOT NULL UNIQUE,
    employee_id        TEXT   NOT NULL,
    direction          TEXT   NOT NULL,          -- entry | exit
    at_ms              BIGINT NOT NULL,          -- the punch instant, UTC milliseconds
    local_day          TEXT   NOT NULL,          -- YYYY-MM-DD in attendance.time_zone
    door               TEXT   NOT NULL,
    state              TEXT   NOT NULL,          -- queued | sending | delivered | parked | dry_run | discarded
    attempts           BIGINT NOT NULL DEFAULT 0,
    next_attempt_at_ms BIGINT NOT NULL,
    last_error         TEXT,
    request            TEXT,                     -- the exact request sent (or that would be sent)
    response_status    BIGINT,
    response_body      TEXT,
    humand_entry_id    TEXT,
    park_reason        TEXT,                     -- stable code when parked
    created_at_ms      BIGINT NOT NULL,
    updated_at_ms      BIGINT NOT NULL
);
CREATE INDEX punches_employee_at ON punches (employee_id, at_ms);
CREATE INDEX punches_state_next ON punches (state, next_attempt_at_ms);

-- HikCentral personId → personCode, so events that carry only a personId resolve once.
CREATE TABLE person_cache (
    person_id     TEXT   PRIMARY KEY,
    person_code   TEXT,                          -- NULL: HikCentral does not know the person
    fetched_at_ms BIGINT NOT NULL
);

-- Exceptions to "employee id = personCode", imported from CSV or set through the admin API.
CREATE TABLE employee_overrides (
    person_code   TEXT   PRIMARY KEY,
    employee_id   TEXT   NOT NULL,
    note          TEXT,
    updated_at_ms BIGINT NOT NULL
);

-- Doors seen in events but not mapped to a direction, counted so operators can map them.
CREATE TABLE unmapped_doors (
    door_index    TEXT   NOT NULL,
    door_name     TEXT   NOT NULL,
    events        BIGINT NOT NULL,
    last_seen_ms  BIGINT NOT NULL,
    PRIMARY KEY (door_index, door_name)
);

-- Humand's answer to GET /users/{id}, when attendance.validate_employees is on.
CREATE TABLE employee_cache (
    employee_id   TEXT    PRIMARY KEY,
    known         INTEGER NOT NULL,             -- 1: Humand knows the employee, 0: 404
    fetched_at_ms BIGINT  NOT NULL
);
