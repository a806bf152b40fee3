-- Foundation: named checkpoints and service metadata.
-- Times are BIGINT unix milliseconds; JSON is TEXT; booleans are INTEGER 0/1 (see src/store/mod.rs).

-- A named position that a worker resumes from (for example the back-fill poller's last window).
CREATE TABLE checkpoints (
    name          TEXT   PRIMARY KEY,
    value         TEXT   NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

-- Small key/value facts about this installation (for example when it was first started).
CREATE TABLE service_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
