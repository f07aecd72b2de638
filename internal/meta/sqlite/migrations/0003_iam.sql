-- 0003: users managed through the IAM API, their access keys and their
-- inline policies.
--
-- User names are unique per account ignoring case, as in IAM: name_key is
-- the lowercased name (computed by the store, so both backends agree on it)
-- and every lookup by name goes through it; name keeps the spelling the user
-- was created with. Key ids and policy names are case-sensitive.
CREATE TABLE iam_users (
    account      TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    name_key     TEXT    NOT NULL, -- lower(name)
    user_id      TEXT    NOT NULL,
    arn          TEXT    NOT NULL,
    created_time INTEGER NOT NULL,
    PRIMARY KEY (account, name_key),
    -- The target of the foreign keys below; also ListIAMUsers' order
    -- (WHERE account = ? ORDER BY name).
    UNIQUE (account, name)
) WITHOUT ROWID;

-- user_name is the user's stored spelling; deleting the user deletes its keys.
CREATE TABLE iam_access_keys (
    access_key_id     TEXT    NOT NULL PRIMARY KEY,
    account           TEXT    NOT NULL,
    user_name         TEXT    NOT NULL,
    secret_ciphertext BLOB    NOT NULL,
    status            TEXT    NOT NULL,
    created_time      INTEGER NOT NULL,
    FOREIGN KEY (account, user_name) REFERENCES iam_users (account, name) ON DELETE CASCADE
);
-- ListIAMAccessKeys, and the cascade from iam_users.
CREATE INDEX iam_access_keys_user ON iam_access_keys (account, user_name, access_key_id);

CREATE TABLE iam_user_policies (
    account     TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    document    TEXT NOT NULL,
    PRIMARY KEY (account, user_name, policy_name),
    FOREIGN KEY (account, user_name) REFERENCES iam_users (account, name) ON DELETE CASCADE
) WITHOUT ROWID;
