package sqlite

import (
	"context"

	"github.com/arca-repo/arca/internal/meta"
)

// Tags are keyed by resource ARN alone, with no foreign key: the store does
// not know which row an ARN names, so the service removes a resource's tags
// when it deletes the resource.

func (r reader) ListTags(ctx context.Context, arn string) ([]meta.Tag, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT key, value FROM tags WHERE arn = ? ORDER BY key`, arn)
	if err != nil {
		return nil, internal(err, "list tags")
	}
	defer rows.Close()
	tags := []meta.Tag{}
	for rows.Next() {
		var tg meta.Tag
		if err := rows.Scan(&tg.Key, &tg.Value); err != nil {
			return nil, internal(err, "list tags")
		}
		tags = append(tags, tg)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "list tags")
	}
	return tags, nil
}

func (t *tx) PutTags(ctx context.Context, arn string, tags []meta.Tag) error {
	for _, tg := range tags {
		_, err := t.sqlTx.ExecContext(ctx, `INSERT INTO tags (arn, key, value) VALUES (?, ?, ?)
			ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value`, arn, tg.Key, tg.Value)
		if err != nil {
			return internal(err, "put tags")
		}
	}
	return nil
}

// DeleteTags removes keys of arn; nil keys removes every tag, while an empty
// non-nil slice removes none (an UntagResource with no keys is a no-op).
func (t *tx) DeleteTags(ctx context.Context, arn string, keys []string) error {
	if keys == nil {
		if _, err := t.sqlTx.ExecContext(ctx, `DELETE FROM tags WHERE arn = ?`, arn); err != nil {
			return internal(err, "delete tags")
		}
		return nil
	}
	for _, k := range keys {
		if _, err := t.sqlTx.ExecContext(ctx, `DELETE FROM tags WHERE arn = ? AND key = ?`, arn, k); err != nil {
			return internal(err, "delete tags")
		}
	}
	return nil
}
