-- The shared tier's catalog, one PostgreSQL database for a whole fleet of hosts.
-- Forward-only: a landed migration is never edited; a change is a new file.

-- One row per answered action key: a success (its heads are in assets_shared_elements, their
-- bytes in the bucket) or a refusal of the photo's content (no face), which is kept like a
-- success so that no host pays for it twice.
CREATE TABLE assets_shared_extractions (
    action_key    bytea PRIMARY KEY CHECK (length(action_key) = 32),
    input_key     bytea NOT NULL CHECK (length(input_key) = 32),
    operation     text NOT NULL,
    options       text NOT NULL,
    namespace     text NOT NULL,
    state         text NOT NULL CHECK (state IN ('ok', 'failed')),
    error_code    text,
    error_message text,
    request_id    text,
    input_size    bigint NOT NULL CHECK (input_size >= 0),
    fitted_key    bytea CHECK (fitted_key IS NULL OR length(fitted_key) = 32),
    fitted_width  integer,
    fitted_height integer,
    host          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz NOT NULL DEFAULT now(),
    -- Answers this row gave to hosts that did not have it: each one a call not made.
    shared_hits   bigint NOT NULL DEFAULT 0
);

CREATE TABLE assets_shared_elements (
    action_key bytea NOT NULL REFERENCES assets_shared_extractions (action_key) ON DELETE CASCADE,
    position   integer NOT NULL CHECK (position >= 0),
    blob_key   bytea NOT NULL CHECK (length(blob_key) = 32),
    blob_size  bigint NOT NULL CHECK (blob_size >= 0),
    width      integer NOT NULL,
    height     integer NOT NULL,
    x          integer NOT NULL,
    y          integer NOT NULL,
    PRIMARY KEY (action_key, position)
);
CREATE INDEX assets_shared_elements_blob ON assets_shared_elements (blob_key);

-- Cross-host single-flight: the host holding an action key's lease makes its call; the others
-- wait for the row. A lease whose expiry passed (its owner crashed) may be taken over.
CREATE TABLE assets_shared_leases (
    action_key bytea PRIMARY KEY CHECK (length(action_key) = 32),
    token      uuid NOT NULL,
    host       text NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

-- Every paid call a host started under a lease, and how it ended, so that double payments
-- can be counted: more than one 'answered' row for one action key is one. 'not_made': the call
-- was refused before it was sent (a spend limit, a bad photo).
CREATE TABLE assets_shared_paid_calls (
    id          bigserial PRIMARY KEY,
    action_key  bytea NOT NULL CHECK (length(action_key) = 32),
    namespace   text NOT NULL,
    host        text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    outcome     text NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'answered', 'refused', 'failed', 'not_made'))
);
CREATE INDEX assets_shared_paid_calls_key ON assets_shared_paid_calls (action_key);
