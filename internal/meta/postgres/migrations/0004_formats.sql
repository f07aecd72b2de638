-- 0004: what package-manager formats keep. format_metadata is format-owned
-- bytes of a version (npm: its manifest; pypi: per-file metadata), opaque to
-- the store. dist_tags are npm's tag -> version pointers of a package; a tag
-- may outlive its version (readers skip such tags).
ALTER TABLE package_versions ADD COLUMN format_metadata bytea NOT NULL DEFAULT ''::bytea;

CREATE TABLE dist_tags (
    package_id text COLLATE "C" NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    tag        text COLLATE "C" NOT NULL,
    version    text COLLATE "C" NOT NULL,
    PRIMARY KEY (package_id, tag)
);

-- ListPackageAssets: every asset of a package's versions in one read.
CREATE INDEX package_versions_package ON package_versions (package_id, id);
