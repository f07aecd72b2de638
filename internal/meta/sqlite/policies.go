package sqlite

import (
	"context"

	"github.com/arca-repo/arca/internal/meta"
)

func (r reader) GetResourcePolicy(ctx context.Context, arn string) (*meta.ResourcePolicy, error) {
	p := meta.ResourcePolicy{ResourceARN: arn}
	err := r.q.QueryRowContext(ctx, `SELECT revision, document FROM resource_policies WHERE arn = ?`, arn).
		Scan(&p.Revision, &p.Document)
	if err != nil {
		return nil, getErr(err, "get resource policy", "", arn, "No resource policy is set on '%s'", arn)
	}
	return &p, nil
}

func (t *tx) PutResourcePolicy(ctx context.Context, p *meta.ResourcePolicy) error {
	_, err := t.sqlTx.ExecContext(ctx, `INSERT INTO resource_policies (arn, revision, document) VALUES (?, ?, ?)
		ON CONFLICT (arn) DO UPDATE SET revision = excluded.revision, document = excluded.document`,
		p.ResourceARN, p.Revision, p.Document)
	if err != nil {
		return internal(err, "put resource policy")
	}
	return nil
}

func (t *tx) DeleteResourcePolicy(ctx context.Context, arn string) error {
	if _, err := t.sqlTx.ExecContext(ctx, `DELETE FROM resource_policies WHERE arn = ?`, arn); err != nil {
		return internal(err, "delete resource policy")
	}
	return nil
}
