package postgres

import (
	"context"

	"github.com/arca-repo/arca/internal/meta"
)

// Tags are keyed by resource ARN alone, with no foreign key: the store does
// not know which row an ARN names, so the service removes a resource's tags
// when it deletes the resource.

func (r reader) ListTags(ctx context.Context, arn string) ([]meta.Tag, error) {
	tags := []meta.Tag{}
	if !storable(arn) {
		return tags, nil
	}
	rows, err := r.q.Query(ctx, `SELECT key, value FROM tags WHERE arn = $1 ORDER BY key`, arn)
	if err != nil {
		return nil, r.fail(err, "list tags")
	}
	defer rows.Close()
	for rows.Next() {
		var tg meta.Tag
		if err := rows.Scan(&tg.Key, &tg.Value); err != nil {
			return nil, r.fail(err, "list tags")
		}
		tags = append(tags, tg)
	}
	if err := rows.Err(); err != nil {
		return nil, r.fail(err, "list tags")
	}
	return tags, nil
}

// PutTags writes every tag in one statement. A key given twice keeps its
// last value, as successive upserts would: ON CONFLICT refuses to touch one
// row twice in a statement, so duplicates are dropped here first.
func (t *tx) PutTags(ctx context.Context, arn string, tags []meta.Tag) error {
	if len(tags) == 0 {
		return nil
	}
	last := make(map[string]string, len(tags))
	keys := make([]string, 0, len(tags))
	for _, tg := range tags {
		if _, dup := last[tg.Key]; !dup {
			keys = append(keys, tg.Key)
		}
		last[tg.Key] = tg.Value
	}
	values := make([]string, len(keys))
	for i, k := range keys {
		values[i] = last[k]
	}
	_, err := t.exec(ctx, "put tags", `INSERT INTO tags (arn, key, value)
		SELECT $1::text, k, v FROM unnest($2::text[], $3::text[]) AS u (k, v)
		ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value`, arn, keys, values)
	return err
}

// DeleteTags removes keys of arn; nil keys removes every tag, while an empty
// non-nil slice removes none (an UntagResource with no keys is a no-op).
func (t *tx) DeleteTags(ctx context.Context, arn string, keys []string) error {
	if keys == nil {
		_, err := t.exec(ctx, "delete tags", `DELETE FROM tags WHERE arn = $1`, arn)
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	_, err := t.exec(ctx, "delete tags", `DELETE FROM tags WHERE arn = $1 AND key = ANY ($2::text[])`, arn, keys)
	return err
}
