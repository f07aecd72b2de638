-- 0001: arca's initial metadata schema.
--
-- Times are INTEGER unix nanoseconds in UTC; the zero time.Time is stored as
-- -9223372036854775808 (the smallest int64) so that columns stay NOT NULL and
-- "never published" sorts after every real time in a descending list.
-- Text compares byte-wise (BINARY collation), which is the order the store
-- promises for every list.

CREATE TABLE domains (
    id             TEXT    NOT NULL PRIMARY KEY,
    owner          TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    encryption_key TEXT    NOT NULL,
    created_time   INTEGER NOT NULL,
    UNIQUE (owner, name)
);
-- ListDomains: ORDER BY name, owner, id.
CREATE INDEX domains_list ON domains (name, owner, id);

-- Deleting a domain is refused while repositories reference it (no cascade):
-- the service empties a domain before deleting it.
CREATE TABLE repositories (
    id                    TEXT    NOT NULL PRIMARY KEY,
    domain_id             TEXT    NOT NULL REFERENCES domains (id),
    name                  TEXT    NOT NULL,
    administrator_account TEXT    NOT NULL,
    description           TEXT    NOT NULL,
    -- JSON array of repository names of the same domain, in priority order.
    upstreams             TEXT    NOT NULL,
    created_time          INTEGER NOT NULL,
    UNIQUE (domain_id, name)
);
-- ListRepositories: ORDER BY name (then the domain's name and owner, id).
CREATE INDEX repositories_list ON repositories (name, id);

CREATE TABLE tags (
    arn   TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
) WITHOUT ROWID;

CREATE TABLE packages (
    id              TEXT    NOT NULL PRIMARY KEY,
    repository_id   TEXT    NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    format          TEXT    NOT NULL,
    namespace       TEXT    NOT NULL, -- '' for formats without namespaces
    name            TEXT    NOT NULL,
    origin_publish  TEXT    NOT NULL,
    origin_upstream TEXT    NOT NULL,
    created_time    INTEGER NOT NULL,
    UNIQUE (repository_id, format, namespace, name)
);
-- ListPackages: WHERE repository_id = ? ORDER BY format, namespace, name, id.
CREATE INDEX packages_list ON packages (repository_id, format, namespace, name, id);

CREATE TABLE package_versions (
    id                     TEXT    NOT NULL PRIMARY KEY,
    package_id             TEXT    NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    version                TEXT    NOT NULL,
    sort_key               TEXT    NOT NULL,
    revision               TEXT    NOT NULL,
    status                 TEXT    NOT NULL,
    created_time           INTEGER NOT NULL,
    published_time         INTEGER NOT NULL,
    summary                TEXT    NOT NULL,
    home_page              TEXT    NOT NULL,
    source_code_repository TEXT    NOT NULL,
    licenses               TEXT    NOT NULL, -- JSON array of meta.License
    dependencies           TEXT    NOT NULL, -- JSON array of meta.Dependency
    readme                 TEXT    NOT NULL,
    origin_type            TEXT    NOT NULL,
    origin_repository      TEXT    NOT NULL,
    origin_external_conn   TEXT    NOT NULL,
    UNIQUE (package_id, version)
);
-- ListPackageVersions, natural order: ORDER BY sort_key, id.
CREATE INDEX package_versions_natural ON package_versions (package_id, sort_key, id);
-- ListPackageVersions, publish order: ORDER BY published_time DESC, id DESC.
CREATE INDEX package_versions_published ON package_versions (package_id, published_time, id);

CREATE TABLE assets (
    version_id   TEXT    NOT NULL REFERENCES package_versions (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    md5          TEXT    NOT NULL,
    sha1         TEXT    NOT NULL,
    sha256       TEXT    NOT NULL,
    sha512       TEXT    NOT NULL,
    created_time INTEGER NOT NULL,
    PRIMARY KEY (version_id, name)
) WITHOUT ROWID;
-- AssetReferenced: blobs are shared by content, so a blob may only be
-- collected when no asset row of its domain names its SHA-256.
CREATE INDEX assets_sha256 ON assets (sha256);
