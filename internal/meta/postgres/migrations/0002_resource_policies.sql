-- 0002: permissions policies of domains and repositories, keyed by the
-- resource's ARN like tags (the service removes them with the resource).
CREATE TABLE resource_policies (
    arn      text COLLATE "C" NOT NULL PRIMARY KEY,
    revision text NOT NULL,
    document text NOT NULL
);
