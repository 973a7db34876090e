-- The catalog: what was asked (extractions), what came back (elements, blobs), and counters.
-- Hashes are raw 32-byte SHA-256 digests. Times are Unix milliseconds.

CREATE TABLE extractions (
    id            INTEGER PRIMARY KEY,
    action_key    BLOB    NOT NULL UNIQUE,
    input_key     BLOB    NOT NULL,
    operation     TEXT    NOT NULL,
    options       TEXT    NOT NULL,
    namespace     TEXT    NOT NULL,
    -- 'pending': the API answered and its answer is committed, the downloads are not done.
    -- 'ok': every element's blob is stored. 'failed': a negative (content) result.
    state         TEXT    NOT NULL CHECK (state IN ('pending', 'ok', 'failed')),
    error_code    TEXT,
    error_message TEXT,
    request_id    TEXT,
    log_id        TEXT,
    response_key  BLOB,
    input_size    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL,
    hit_count     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX extractions_by_last_used ON extractions (last_used_at);

CREATE TABLE elements (
    extraction_id INTEGER NOT NULL REFERENCES extractions (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    -- NULL while the extraction is pending.
    blob_key      BLOB,
    -- The API's temporary result URL, kept only while the extraction is pending.
    source_url    TEXT,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    x             INTEGER NOT NULL,
    y             INTEGER NOT NULL,
    PRIMARY KEY (extraction_id, position)
) WITHOUT ROWID;
-- No index on blob_key: only gc asks which blobs are unreferenced, and SQLite answers that
-- with one scan; an index would cost about 46 bytes on every entry.

CREATE TABLE blobs (
    key          BLOB    PRIMARY KEY,
    size         INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE counters (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

INSERT INTO counters (name) VALUES
    ('hits'), ('misses'), ('upstream_calls'), ('retries'), ('bytes_downloaded'), ('credits_saved');
