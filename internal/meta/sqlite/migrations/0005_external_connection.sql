-- 0005: the one external connection associated with a repository
-- ("public:npmjs"), '' for none. CodeArtifact allows at most one, so a
-- column, not a table.
ALTER TABLE repositories ADD COLUMN external_connection TEXT NOT NULL DEFAULT '';
