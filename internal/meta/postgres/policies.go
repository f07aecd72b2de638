package postgres

import (
	"context"

	"github.com/arca-repo/arca/internal/meta"
)

func (r reader) GetResourcePolicy(ctx context.Context, arn string) (*meta.ResourcePolicy, error) {
	if !storable(arn) {
		return nil, missing(ref{"", arn})
	}
	p := meta.ResourcePolicy{ResourceARN: arn}
	err := r.q.QueryRow(ctx, `SELECT revision, document FROM resource_policies WHERE arn = $1`, arn).
		Scan(&p.Revision, &p.Document)
	if err != nil {
		return nil, r.getErr(err, "get resource policy", "", arn, "No resource policy is set on '%s'", arn)
	}
	return &p, nil
}

func (t *tx) PutResourcePolicy(ctx context.Context, p *meta.ResourcePolicy) error {
	_, err := t.exec(ctx, "put resource policy", `INSERT INTO resource_policies (arn, revision, document) VALUES ($1, $2, $3)
		ON CONFLICT (arn) DO UPDATE SET revision = excluded.revision, document = excluded.document`,
		p.ResourceARN, p.Revision, p.Document)
	return err
}

func (t *tx) DeleteResourcePolicy(ctx context.Context, arn string) error {
	if !storable(arn) {
		return nil
	}
	_, err := t.exec(ctx, "delete resource policy", `DELETE FROM resource_policies WHERE arn = $1`, arn)
	return err
}
