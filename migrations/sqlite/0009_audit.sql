-- The audit log: who did what, append-only and chained. Each row carries the SHA-256 of the row
-- before it (`prev_hash`) and of itself (`hash`), so a changed or removed row breaks the chain
-- (`hikbridge audit verify`). `audit_head` holds the newest row's sequence number and hash (taken
-- by every append, which serialises appends) and the anchor: the last row retention removed, from
-- which the chain is verified.
CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY,
    at_ms        BIGINT NOT NULL,
    client       TEXT   NOT NULL,   -- the API client's name, or "hikbridge" for the service itself
    acting_user  TEXT,              -- the person behind the call, when the client may name one
    scope        TEXT,              -- the scope that allowed the call
    action       TEXT   NOT NULL,   -- e.g. person.register, punch.discard, http.request
    target_kind  TEXT,              -- person | punch | event | job | run | override | service | …
    target       TEXT,              -- the CI, punch id, job id, … (never a photo or a token)
    outcome      TEXT   NOT NULL,   -- ok | refused | failed | denied | …
    request_id   TEXT,
    remote_addr  TEXT,
    detail       TEXT,              -- a sentence without secrets, photos or face fingerprints
    prev_hash    TEXT   NOT NULL,
    hash         TEXT   NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at_ms);
CREATE INDEX audit_log_target ON audit_log (target_kind, target, seq);
CREATE TABLE audit_head (
    id          INTEGER PRIMARY KEY,
    seq         BIGINT NOT NULL,
    hash        TEXT   NOT NULL,
    anchor_seq  BIGINT NOT NULL,
    anchor_hash TEXT   NOT NULL
);
INSERT INTO audit_head (id, seq, hash, anchor_seq, anchor_hash) VALUES
    (1, 0, '0000000000000000000000000000000000000000000000000000000000000000',
     0, '0000000000000000000000000000000000000000000000000000000000000000');
-- Append-only: no row is changed, and only rows retention has moved the anchor past are removed.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.seq > (SELECT anchor_seq FROM audit_head WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: only rows older than the retention anchor are removed');
END;
-- Who created each bulk job: its persons' changes are recorded in their name.
ALTER TABLE sync_jobs ADD COLUMN created_by_client TEXT;
ALTER TABLE sync_jobs ADD COLUMN created_by_user TEXT;
