-- 0001: arca's initial metadata schema for PostgreSQL.
--
-- Every object is created unqualified, so it lands in the first schema of the
-- connection's search_path: one database can hold several arca schemas.
--
-- Text that is ordered, compared by range or filtered by prefix is
-- COLLATE "C": the store promises byte-wise order, and only the C collation
-- gives it (and lets a btree index serve a prefix range with a bound
-- parameter). Free text (descriptions, readmes) keeps the default collation.
--
-- Times are bigint unix microseconds in UTC (PostgreSQL's own precision).
-- The zero time.Time is stored as -9223372036854775808 (the smallest bigint)
-- so that columns stay NOT NULL, keyset comparisons need no NULL handling,
-- and "never published" sorts after every real time in a descending list.

CREATE TABLE domains (
    id             text   COLLATE "C" NOT NULL PRIMARY KEY,
    owner          text   COLLATE "C" NOT NULL,
    name           text   COLLATE "C" NOT NULL,
    encryption_key text   NOT NULL,
    created_time   bigint NOT NULL,
    CONSTRAINT domains_owner_name_key UNIQUE (owner, name)
);
-- ListDomains over every owner: ORDER BY name, owner (unique together).
CREATE INDEX domains_list ON domains (name, owner);

-- Deleting a domain is refused while repositories reference it (no cascade):
-- the service empties a domain before deleting it.
CREATE TABLE repositories (
    id                    text   COLLATE "C" NOT NULL PRIMARY KEY,
    domain_id             text   COLLATE "C" NOT NULL REFERENCES domains (id),
    name                  text   COLLATE "C" NOT NULL,
    administrator_account text   COLLATE "C" NOT NULL,
    description           text   NOT NULL,
    -- Repository names of the same domain, in priority order.
    upstreams             text[] COLLATE "C" NOT NULL,
    created_time          bigint NOT NULL,
    -- Also the index behind the foreign key's ON DELETE check and GetRepository.
    CONSTRAINT repositories_domain_name_key UNIQUE (domain_id, name)
);
-- ListRepositories: ORDER BY name (then domain name and owner) and the
-- name-prefix range.
CREATE INDEX repositories_list ON repositories (name);

-- Tags are keyed by resource ARN with no foreign key: the service removes a
-- resource's tags when it deletes the resource.
CREATE TABLE tags (
    arn   text COLLATE "C" NOT NULL,
    key   text COLLATE "C" NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (arn, key)
);

CREATE TABLE packages (
    id              text   COLLATE "C" NOT NULL PRIMARY KEY,
    repository_id   text   COLLATE "C" NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    format          text   COLLATE "C" NOT NULL,
    namespace       text   COLLATE "C" NOT NULL, -- '' for formats without namespaces
    name            text   COLLATE "C" NOT NULL,
    origin_publish  text   COLLATE "C" NOT NULL,
    origin_upstream text   COLLATE "C" NOT NULL,
    created_time    bigint NOT NULL,
    -- Serves GetPackage and ListPackages (ORDER BY format, namespace, name
    -- after the repository_id equality), and the cascade from repositories.
    CONSTRAINT packages_identity_key UNIQUE (repository_id, format, namespace, name)
);

CREATE TABLE package_versions (
    id                     text   COLLATE "C" NOT NULL PRIMARY KEY,
    package_id             text   COLLATE "C" NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    version                text   COLLATE "C" NOT NULL,
    sort_key               text   COLLATE "C" NOT NULL,
    revision               text   COLLATE "C" NOT NULL,
    status                 text   COLLATE "C" NOT NULL,
    created_time           bigint NOT NULL,
    published_time         bigint NOT NULL,
    summary                text   NOT NULL,
    home_page              text   NOT NULL,
    source_code_repository text   NOT NULL,
    licenses               jsonb  NOT NULL, -- array of meta.License
    dependencies           jsonb  NOT NULL, -- array of meta.Dependency
    readme                 text   NOT NULL,
    origin_type            text   COLLATE "C" NOT NULL,
    origin_repository      text   COLLATE "C" NOT NULL,
    origin_external_conn   text   COLLATE "C" NOT NULL,
    CONSTRAINT package_versions_identity_key UNIQUE (package_id, version)
);
-- ListPackageVersions, natural order: ORDER BY sort_key, id (sort keys are
-- not unique: "1.2.0" and "01.2.0" share one).
CREATE INDEX package_versions_natural ON package_versions (package_id, sort_key, id);
-- ListPackageVersions, publish order: ORDER BY published_time DESC, id DESC
-- (a backward scan of this index).
CREATE INDEX package_versions_published ON package_versions (package_id, published_time, id);

CREATE TABLE assets (
    version_id   text   COLLATE "C" NOT NULL REFERENCES package_versions (id) ON DELETE CASCADE,
    name         text   COLLATE "C" NOT NULL,
    size         bigint NOT NULL,
    md5          text   COLLATE "C" NOT NULL,
    sha1         text   COLLATE "C" NOT NULL,
    sha256       text   COLLATE "C" NOT NULL,
    sha512       text   COLLATE "C" NOT NULL,
    created_time bigint NOT NULL,
    PRIMARY KEY (version_id, name)
);
-- AssetReferenced: blobs are shared by content, so a blob may only be
-- collected when no asset row of its domain names its SHA-256.
CREATE INDEX assets_sha256 ON assets (sha256);
