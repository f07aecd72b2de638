-- 0006: package groups. A group is identified within its domain by its
-- pattern; the three origin restriction modes are columns (INHERIT when a
-- group does not set one). Allowed-repository lists are rows of their own,
-- by restriction type: they may be long and are paged.
--
-- package_group_versions holds a counter per domain that every write of a
-- group or of an allowed list increments, so that a reader can tell with one
-- point read whether the groups it compiled are still current.
CREATE TABLE package_groups (
    id                     TEXT    NOT NULL PRIMARY KEY,
    domain_id              TEXT    NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    pattern                TEXT    NOT NULL,
    description            TEXT    NOT NULL,
    contact_info           TEXT    NOT NULL,
    publish_mode           TEXT    NOT NULL,
    external_upstream_mode TEXT    NOT NULL,
    internal_upstream_mode TEXT    NOT NULL,
    created_time           INTEGER NOT NULL,
    UNIQUE (domain_id, pattern)
);

CREATE TABLE package_group_repositories (
    group_id         TEXT NOT NULL REFERENCES package_groups (id) ON DELETE CASCADE,
    restriction_type TEXT NOT NULL,
    repository_name  TEXT NOT NULL,
    PRIMARY KEY (group_id, restriction_type, repository_name)
) WITHOUT ROWID;

CREATE TABLE package_group_versions (
    domain_id TEXT    NOT NULL PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    version   INTEGER NOT NULL
) WITHOUT ROWID;

-- Every domain has the root group /*, which allows everything.
INSERT INTO package_groups (id, domain_id, pattern, description, contact_info,
    publish_mode, external_upstream_mode, internal_upstream_mode, created_time)
SELECT lower(hex(randomblob(16))), d.id, '/*', '', '', 'ALLOW', 'ALLOW', 'ALLOW', d.created_time
FROM domains d;
