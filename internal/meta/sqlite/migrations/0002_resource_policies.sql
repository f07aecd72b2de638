-- 0002: permissions policies of domains and repositories, keyed by the
-- resource's ARN like tags (the service removes them with the resource).
CREATE TABLE resource_policies (
    arn      TEXT NOT NULL PRIMARY KEY,
    revision TEXT NOT NULL,
    document TEXT NOT NULL
) WITHOUT ROWID;
