-- 0006: package groups. A group is identified within its domain by its
-- pattern; the three origin restriction modes are columns (INHERIT when a
-- group does not set one). Allowed-repository lists are rows of their own,
-- by restriction type: they may be long and are paged.
--
-- package_group_versions holds a counter per domain that every write of a
-- group or of an allowed list increments, so that a node can tell with one
-- point read whether the groups it compiled are still current (other nodes
-- write the same database).
CREATE TABLE package_groups (
    id                     text COLLATE "C" NOT NULL PRIMARY KEY,
    domain_id              text COLLATE "C" NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    pattern                text COLLATE "C" NOT NULL,
    description            text COLLATE "C" NOT NULL,
    contact_info           text COLLATE "C" NOT NULL,
    publish_mode           text COLLATE "C" NOT NULL,
    external_upstream_mode text COLLATE "C" NOT NULL,
    internal_upstream_mode text COLLATE "C" NOT NULL,
    created_time           bigint NOT NULL,
    UNIQUE (domain_id, pattern)
);

CREATE TABLE package_group_repositories (
    group_id         text COLLATE "C" NOT NULL REFERENCES package_groups (id) ON DELETE CASCADE,
    restriction_type text COLLATE "C" NOT NULL,
    repository_name  text COLLATE "C" NOT NULL,
    PRIMARY KEY (group_id, restriction_type, repository_name)
);

CREATE TABLE package_group_versions (
    domain_id text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
    version   bigint NOT NULL
);

-- Every domain has the root group /*, which allows everything.
INSERT INTO package_groups (id, domain_id, pattern, description, contact_info,
    publish_mode, external_upstream_mode, internal_upstream_mode, created_time)
SELECT md5(d.id || ':package-group:/*'), d.id, '/*', '', '', 'ALLOW', 'ALLOW', 'ALLOW', d.created_time
FROM domains d;
