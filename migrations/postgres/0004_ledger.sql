-- The ledger: what the service knows about each SIAD person in HikCentral.
CREATE TABLE ledger (
    ci              TEXT   PRIMARY KEY,        -- SIAD CIInfPer = HikCentral personCode
    person_id       TEXT,                      -- HikCentral personId, when registered
    person_type     TEXT,                      -- SIAD TipoInfPer
    photo_hash      TEXT,                      -- perceptual hash of the photo last sent (16 hex digits)
    last_sync_at_ms BIGINT,
    last_outcome    TEXT,                      -- registered | already_registered | updated | photo_rejected | failed | found
    last_reason     TEXT,
    updated_at_ms   BIGINT NOT NULL
);
CREATE INDEX ledger_person_id ON ledger (person_id);
