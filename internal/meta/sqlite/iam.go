package sqlite

import (
	"context"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/keyset"
)

// IAM-managed users, access keys and inline policies (migration 0003).
//
// A user is found by (account, name_key), name_key being the lowercased name,
// so every lookup by user name ignores case; rows hanging from a user (keys,
// policies) store the user's own spelling, which their foreign keys
// reference, and vanish with it. Key ids and policy names are compared
// exactly.

// iamNameKey is the case-insensitive identity of a user name. It is computed
// here rather than with SQL lower(), which only folds ASCII in SQLite.
func iamNameKey(name string) string { return strings.ToLower(name) }

// userSubquery selects the stored spelling of the user (account ?, name key ?).
const userSubquery = `(SELECT u.name FROM iam_users u WHERE u.account = ? AND u.name_key = ?)`

const iamUserCols = `u.account, u.name, u.user_id, u.arn, u.created_time`

// iamUserKeys orders ListIAMUsers: name, then account (unique together).
func iamUserKeys() keyset.Keyset {
	return keyset.Keyset{Tag: "iu", Cols: []string{"u.name", "u.account"}, Kinds: []keyset.Kind{keyset.Text, keyset.Text}}
}

func scanIAMUser(s scanner) (meta.IAMUser, error) {
	var u meta.IAMUser
	var created int64
	if err := s.Scan(&u.Account, &u.Name, &u.UserID, &u.ARN, &created); err != nil {
		return u, err
	}
	u.CreatedTime = decTime(created)
	return u, nil
}

func missingUser(name string) error {
	return apierr.Missing("", name, "The user with name %s cannot be found.", name)
}

func (r reader) GetIAMUser(ctx context.Context, account, name string) (*meta.IAMUser, error) {
	u, err := scanIAMUser(r.q.QueryRowContext(ctx, `SELECT `+iamUserCols+`
		FROM iam_users u WHERE u.account = ? AND u.name_key = ?`, account, iamNameKey(name)))
	if err != nil {
		return nil, getErr(err, "get iam user", "", name, "The user with name %s cannot be found.", name)
	}
	return &u, nil
}

func (r reader) ListIAMUsers(ctx context.Context, account string, opt meta.ListOptions) ([]meta.IAMUser, string, error) {
	q := query{base: `SELECT ` + iamUserCols + ` FROM iam_users u`}
	q.and("u.account = ?", account)
	return list(ctx, r.q, "list iam users", q, iamUserKeys(), opt, func(s scanner) (meta.IAMUser, []any, error) {
		u, err := scanIAMUser(s)
		return u, []any{u.Name, u.Account}, err
	})
}

const iamKeyCols = `k.access_key_id, k.account, k.user_name, k.secret_ciphertext, k.status, k.created_time`

func scanIAMAccessKey(s scanner) (meta.IAMAccessKey, error) {
	var k meta.IAMAccessKey
	var created int64
	if err := s.Scan(&k.AccessKeyID, &k.Account, &k.UserName, &k.SecretCiphertext, &k.Status, &created); err != nil {
		return k, err
	}
	if k.SecretCiphertext == nil {
		k.SecretCiphertext = []byte{}
	}
	k.CreatedTime = decTime(created)
	return k, nil
}

func (r reader) GetIAMAccessKey(ctx context.Context, id string) (*meta.IAMAccessKey, error) {
	k, err := scanIAMAccessKey(r.q.QueryRowContext(ctx, `SELECT `+iamKeyCols+`
		FROM iam_access_keys k WHERE k.access_key_id = ?`, id))
	if err != nil {
		return nil, getErr(err, "get iam access key", "", id, "The Access Key with id %s cannot be found.", id)
	}
	return &k, nil
}

func (r reader) ListIAMAccessKeys(ctx context.Context, account, user string) ([]meta.IAMAccessKey, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT `+iamKeyCols+` FROM iam_access_keys k
		WHERE k.account = ? AND k.user_name = `+userSubquery+` ORDER BY k.access_key_id`,
		account, account, iamNameKey(user))
	if err != nil {
		return nil, internal(err, "list iam access keys")
	}
	defer rows.Close()
	keys := []meta.IAMAccessKey{}
	for rows.Next() {
		k, err := scanIAMAccessKey(rows)
		if err != nil {
			return nil, internal(err, "list iam access keys")
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "list iam access keys")
	}
	return keys, nil
}

func (r reader) GetIAMUserPolicy(ctx context.Context, account, user, name string) (*meta.IAMUserPolicy, error) {
	var p meta.IAMUserPolicy
	err := r.q.QueryRowContext(ctx, `SELECT p.account, p.user_name, p.policy_name, p.document
		FROM iam_user_policies p WHERE p.account = ? AND p.user_name = `+userSubquery+` AND p.policy_name = ?`,
		account, account, iamNameKey(user), name).Scan(&p.Account, &p.UserName, &p.PolicyName, &p.Document)
	if err != nil {
		return nil, getErr(err, "get iam user policy", "", name,
			"The user policy with name %s cannot be found.", name)
	}
	return &p, nil
}

func (r reader) ListIAMUserPolicies(ctx context.Context, account, user string) ([]meta.IAMUserPolicy, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT p.account, p.user_name, p.policy_name, p.document
		FROM iam_user_policies p WHERE p.account = ? AND p.user_name = `+userSubquery+` ORDER BY p.policy_name`,
		account, account, iamNameKey(user))
	if err != nil {
		return nil, internal(err, "list iam user policies")
	}
	defer rows.Close()
	ps := []meta.IAMUserPolicy{}
	for rows.Next() {
		var p meta.IAMUserPolicy
		if err := rows.Scan(&p.Account, &p.UserName, &p.PolicyName, &p.Document); err != nil {
			return nil, internal(err, "list iam user policies")
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "list iam user policies")
	}
	return ps, nil
}

func (t *tx) InsertIAMUser(ctx context.Context, u *meta.IAMUser) error {
	created, err := encTime(u.CreatedTime)
	if err != nil {
		return err
	}
	_, err = t.sqlTx.ExecContext(ctx, `INSERT INTO iam_users (account, name, name_key, user_id, arn, created_time)
		VALUES (?, ?, ?, ?, ?, ?)`, u.Account, u.Name, iamNameKey(u.Name), u.UserID, u.ARN, created)
	if isUniqueViolation(err) {
		return apierr.Conflicting("", u.Name, "User with name %s already exists.", u.Name)
	}
	if err != nil {
		return internal(err, "insert iam user")
	}
	return nil
}

// DeleteIAMUser cascades to the user's keys and policies.
func (t *tx) DeleteIAMUser(ctx context.Context, account, name string) error {
	_, err := t.sqlTx.ExecContext(ctx, `DELETE FROM iam_users WHERE account = ? AND name_key = ?`,
		account, iamNameKey(name))
	if err != nil {
		return internal(err, "delete iam user")
	}
	return nil
}

// InsertIAMAccessKey takes the user's row (found ignoring case) in the same
// statement: no row inserted means no such user.
func (t *tx) InsertIAMAccessKey(ctx context.Context, k *meta.IAMAccessKey) error {
	created, err := encTime(k.CreatedTime)
	if err != nil {
		return err
	}
	secret := k.SecretCiphertext
	if secret == nil {
		secret = []byte{} // NOT NULL: nil would be sent as NULL
	}
	res, err := t.sqlTx.ExecContext(ctx, `INSERT INTO iam_access_keys
			(access_key_id, account, user_name, secret_ciphertext, status, created_time)
		SELECT ?, u.account, u.name, ?, ?, ? FROM iam_users u WHERE u.account = ? AND u.name_key = ?`,
		k.AccessKeyID, secret, k.Status, created, k.Account, iamNameKey(k.UserName))
	switch {
	case isUniqueViolation(err):
		return apierr.Conflicting("", k.AccessKeyID, "Access key %s already exists.", k.AccessKeyID)
	case isForeignKeyViolation(err):
		return missingUser(k.UserName)
	case err != nil:
		return internal(err, "insert iam access key")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return internal(err, "insert iam access key")
	}
	if n == 0 {
		return missingUser(k.UserName)
	}
	return nil
}

func (t *tx) SetIAMAccessKeyStatus(ctx context.Context, id, status string) error {
	res, err := t.sqlTx.ExecContext(ctx, `UPDATE iam_access_keys SET status = ? WHERE access_key_id = ?`, status, id)
	if err != nil {
		return internal(err, "set iam access key status")
	}
	return mustAffect(res, "set iam access key status", "", id)
}

func (t *tx) DeleteIAMAccessKey(ctx context.Context, id string) error {
	if _, err := t.sqlTx.ExecContext(ctx, `DELETE FROM iam_access_keys WHERE access_key_id = ?`, id); err != nil {
		return internal(err, "delete iam access key")
	}
	return nil
}

// PutIAMUserPolicy upserts from the user's row, as InsertIAMAccessKey does.
func (t *tx) PutIAMUserPolicy(ctx context.Context, p *meta.IAMUserPolicy) error {
	res, err := t.sqlTx.ExecContext(ctx, `INSERT INTO iam_user_policies (account, user_name, policy_name, document)
		SELECT u.account, u.name, ?, ? FROM iam_users u WHERE u.account = ? AND u.name_key = ?
		ON CONFLICT (account, user_name, policy_name) DO UPDATE SET document = excluded.document`,
		p.PolicyName, p.Document, p.Account, iamNameKey(p.UserName))
	switch {
	case isForeignKeyViolation(err):
		return missingUser(p.UserName)
	case err != nil:
		return internal(err, "put iam user policy")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return internal(err, "put iam user policy")
	}
	if n == 0 {
		return missingUser(p.UserName)
	}
	return nil
}

func (t *tx) DeleteIAMUserPolicy(ctx context.Context, account, user, name string) error {
	_, err := t.sqlTx.ExecContext(ctx, `DELETE FROM iam_user_policies
		WHERE account = ? AND user_name = `+userSubquery+` AND policy_name = ?`,
		account, account, iamNameKey(user), name)
	if err != nil {
		return internal(err, "delete iam user policy")
	}
	return nil
}
