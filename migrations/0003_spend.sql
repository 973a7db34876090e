-- The spend guard's count of engine calls per UTC day ('2026-12-02'), kept across restarts and
-- shared by every process on the store: a server's daily limit holds however often it restarts.
CREATE TABLE spend (
    day   TEXT    PRIMARY KEY,
    calls INTEGER NOT NULL
) WITHOUT ROWID;
