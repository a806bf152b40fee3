-- The audit log: who did what, append-only and chained. Each row carries the SHA-256 of the row
-- before it (`prev_hash`) and of itself (`hash`), so a changed or removed row breaks the chain
-- (`hikbridge audit verify`). `audit_head` holds the newest row's sequence number and hash (taken
-- by every append, which serialises appends) and the anchor: the last row retention removed, from
-- which the chain is verified.
CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY,
    at_ms        BIGINT NOT NULL,
    client       TEXT   NOT NULL,
    acting_user  TEXT,
    scope        TEXT,
    action       TEXT   NOT NULL,
    target_kind  TEXT,
    target       TEXT,
    outcome      TEXT   NOT NULL,
    request_id   TEXT,
    remote_addr  TEXT,
    detail       TEXT,
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
CREATE FUNCTION audit_log_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit_log is append-only';
    END IF;
    IF OLD.seq > (SELECT anchor_seq FROM audit_head WHERE id = 1) THEN
        RAISE EXCEPTION 'audit_log is append-only: only rows older than the retention anchor are removed';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
-- Who created each bulk job: its persons' changes are recorded in their name.
ALTER TABLE sync_jobs ADD COLUMN created_by_client TEXT;
ALTER TABLE sync_jobs ADD COLUMN created_by_user TEXT;
