-- The person lifecycle: runs (a plan, then perhaps its application), the actions of each run
-- (one per person, in order, with the step reached so that an interrupted run resumes without
-- repeating a call), and what the service knows of each SIAD person's access over time.
CREATE TABLE lifecycle_runs (
    id                 TEXT    PRIMARY KEY,
    kind               TEXT    NOT NULL,   -- on_demand | scheduled | erasure
    apply_requested    INTEGER NOT NULL,   -- 1: apply once planned (unless held or a first run)
    state              TEXT    NOT NULL,   -- planning | planned | held | applying | applied | failed | cancelled
    held_reason        TEXT,
    note               TEXT,               -- e.g. why a run asked to apply only planned
    error              TEXT,
    summary            TEXT,               -- JSON: roster parts, managed and unchanged counts
    created_by_client  TEXT    NOT NULL,
    created_by_user    TEXT,
    approved_by_client TEXT,
    approved_by_user   TEXT,
    created_at_ms      BIGINT  NOT NULL,
    updated_at_ms      BIGINT  NOT NULL,
    planned_at_ms      BIGINT,
    finished_at_ms     BIGINT
);
CREATE INDEX lifecycle_runs_state ON lifecycle_runs (state, created_at_ms);
CREATE TABLE lifecycle_actions (
    run_id        TEXT    NOT NULL,
    position      BIGINT  NOT NULL,
    ci            TEXT    NOT NULL,
    person_id     TEXT,
    person_type   TEXT,
    action        TEXT    NOT NULL,   -- register | refresh_face | refresh_person | revoke | restore | erase | unmanaged | skip
    reason        TEXT    NOT NULL,
    state         TEXT    NOT NULL,   -- pending | done | failed | cancelled | reported
    step          BIGINT  NOT NULL,   -- steps of the action already done (where a resume starts)
    outcome       TEXT,               -- ok | refused | failed | partial, once done or failed
    detail        TEXT,
    upstream_code TEXT,
    upstream_msg  TEXT,
    done_at_ms    BIGINT,
    PRIMARY KEY (run_id, position)
);
CREATE INDEX lifecycle_actions_ci ON lifecycle_actions (ci);
CREATE TABLE lifecycle_people (
    ci                    TEXT    PRIMARY KEY,
    state                 TEXT    NOT NULL,   -- active | revoked | erased
    missing_since_ms      BIGINT,             -- first found off the roster (lifecycle.grace_days runs from here)
    revoked_at_ms         BIGINT,
    erased_at_ms          BIGINT,
    register_blocked      INTEGER NOT NULL,   -- 1: erased on request, kept out of register until lifted
    erase_reason          TEXT,
    erase_requested_at_ms BIGINT,
    valid_from            TEXT,               -- the last beginTime sent
    valid_until           TEXT,               -- the last endTime sent
    updated_at_ms         BIGINT  NOT NULL
);
-- The version of the SIAD photo last sent or compared (siad.query_photo_versions, or its SHA-256):
-- a different one means the photo changed in SIAD and is compared again.
ALTER TABLE ledger ADD COLUMN siad_photo_version TEXT;
