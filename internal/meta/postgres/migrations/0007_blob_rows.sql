-- 0007: small blobs as rows. A blob of up to 64 KiB (internal/blob/rows) is
-- kept here instead of in the blob store, written by the very transaction
-- whose asset row references it, so a small publish costs no request to
-- S3. Rows are content-addressed like blobs: (namespace, sha256) names
-- one immutable content; created_time is when it was first stored
-- (microseconds since the epoch, as every time of this schema).
CREATE TABLE blob_rows (
    namespace    text   COLLATE "C" NOT NULL,
    sha256       text   COLLATE "C" NOT NULL,
    size         bigint NOT NULL,
    created_time bigint NOT NULL,
    data         bytea  NOT NULL,
    PRIMARY KEY (namespace, sha256)
);
