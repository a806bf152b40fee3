-- Bulk sync jobs: who to sync, and each person's outcome, so a job resumes after a restart.
CREATE TABLE sync_jobs (
    id             TEXT   PRIMARY KEY,
    kind           TEXT   NOT NULL,          -- program | person_type | list
    filter         TEXT   NOT NULL,          -- the request, JSON
    dry_run        INTEGER NOT NULL,
    state          TEXT   NOT NULL,          -- queued | running | done | cancelled | failed
    total          BIGINT NOT NULL,
    current_ci     TEXT,
    current_name   TEXT,
    error          TEXT,
    created_at_ms  BIGINT NOT NULL,
    updated_at_ms  BIGINT NOT NULL,
    finished_at_ms BIGINT
);
CREATE TABLE sync_job_items (
    job_id      TEXT   NOT NULL,
    position    BIGINT NOT NULL,
    ci          TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    outcome     TEXT,                        -- NULL until processed
    code        TEXT,                        -- the contract code ("0", "131", "128", …)
    reason      TEXT,
    person_id   TEXT,
    done_at_ms  BIGINT,
    PRIMARY KEY (job_id, position)
);
