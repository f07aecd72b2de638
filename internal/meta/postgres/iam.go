package postgres

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
//
// As elsewhere in this store, a value PostgreSQL cannot store (see storable)
// is never sent: a lookup by one finds nothing, and a write of one is
// refused before any statement runs, so the transaction stays usable.

// iamNameKey is the case-insensitive identity of a user name. It is computed
// here rather than with SQL lower(), whose result depends on the database's
// locale, so that both backends agree.
func iamNameKey(name string) string { return strings.ToLower(name) }

// userSubquery selects the stored spelling of the user (account $1, name
// key $2).
const userSubquery = `(SELECT u.name FROM iam_users u WHERE u.account = $1 AND u.name_key = $2)`

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

// unstorable refuses a write of text PostgreSQL cannot store, as the server
// would (see internal), but without failing a statement.
func unstorable() error {
	return apierr.Invalid("A value contains characters that cannot be stored (NUL or invalid UTF-8).")
}

func (r reader) GetIAMUser(ctx context.Context, account, name string) (*meta.IAMUser, error) {
	if !storable(account, name) {
		return nil, missingUser(name)
	}
	u, err := scanIAMUser(r.q.QueryRow(ctx, `SELECT `+iamUserCols+`
		FROM iam_users u WHERE u.account = $1 AND u.name_key = $2`, account, iamNameKey(name)))
	if err != nil {
		return nil, r.getErr(err, "get iam user", "", name, "The user with name %s cannot be found.", name)
	}
	return &u, nil
}

func (r reader) ListIAMUsers(ctx context.Context, account string, opt meta.ListOptions) ([]meta.IAMUser, string, error) {
	q := query{base: `SELECT ` + iamUserCols + ` FROM iam_users u`}
	q.match("u.account", account)
	return list(ctx, r, "list iam users", q, iamUserKeys(), opt, func(s scanner) (meta.IAMUser, []any, error) {
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
	if !storable(id) {
		return nil, apierr.Missing("", id, "The Access Key with id %s cannot be found.", id)
	}
	k, err := scanIAMAccessKey(r.q.QueryRow(ctx, `SELECT `+iamKeyCols+`
		FROM iam_access_keys k WHERE k.access_key_id = $1`, id))
	if err != nil {
		return nil, r.getErr(err, "get iam access key", "", id, "The Access Key with id %s cannot be found.", id)
	}
	return &k, nil
}

func (r reader) ListIAMAccessKeys(ctx context.Context, account, user string) ([]meta.IAMAccessKey, error) {
	keys := []meta.IAMAccessKey{}
	if !storable(account, user) {
		return keys, nil
	}
	rows, err := r.q.Query(ctx, `SELECT `+iamKeyCols+` FROM iam_access_keys k
		WHERE k.account = $1 AND k.user_name = `+userSubquery+` ORDER BY k.access_key_id`,
		account, iamNameKey(user))
	if err != nil {
		return nil, r.fail(err, "list iam access keys")
	}
	defer rows.Close()
	for rows.Next() {
		k, err := scanIAMAccessKey(rows)
		if err != nil {
			return nil, r.fail(err, "list iam access keys")
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, r.fail(err, "list iam access keys")
	}
	return keys, nil
}

func (r reader) GetIAMUserPolicy(ctx context.Context, account, user, name string) (*meta.IAMUserPolicy, error) {
	const msg = "The user policy with name %s cannot be found."
	if !storable(account, user, name) {
		return nil, apierr.Missing("", name, msg, name)
	}
	var p meta.IAMUserPolicy
	err := r.q.QueryRow(ctx, `SELECT p.account, p.user_name, p.policy_name, p.document
		FROM iam_user_policies p WHERE p.account = $1 AND p.user_name = `+userSubquery+` AND p.policy_name = $3`,
		account, iamNameKey(user), name).Scan(&p.Account, &p.UserName, &p.PolicyName, &p.Document)
	if err != nil {
		return nil, r.getErr(err, "get iam user policy", "", name, msg, name)
	}
	return &p, nil
}

func (r reader) ListIAMUserPolicies(ctx context.Context, account, user string) ([]meta.IAMUserPolicy, error) {
	ps := []meta.IAMUserPolicy{}
	if !storable(account, user) {
		return ps, nil
	}
	rows, err := r.q.Query(ctx, `SELECT p.account, p.user_name, p.policy_name, p.document
		FROM iam_user_policies p WHERE p.account = $1 AND p.user_name = `+userSubquery+` ORDER BY p.policy_name`,
		account, iamNameKey(user))
	if err != nil {
		return nil, r.fail(err, "list iam user policies")
	}
	defer rows.Close()
	for rows.Next() {
		var p meta.IAMUserPolicy
		if err := rows.Scan(&p.Account, &p.UserName, &p.PolicyName, &p.Document); err != nil {
			return nil, r.fail(err, "list iam user policies")
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, r.fail(err, "list iam user policies")
	}
	return ps, nil
}

// InsertIAMUser inserts nothing when a user of the name (ignoring case)
// exists, so a duplicate does not fail the statement.
func (t *tx) InsertIAMUser(ctx context.Context, u *meta.IAMUser) error {
	if !storable(u.Account, u.Name, u.UserID, u.ARN) {
		return unstorable()
	}
	created, err := encTime(u.CreatedTime)
	if err != nil {
		return err
	}
	exists := apierr.Conflicting("", u.Name, "User with name %s already exists.", u.Name)
	tag, err := t.pg.Exec(ctx, `INSERT INTO iam_users (account, name, name_key, user_id, arn, created_time)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		u.Account, u.Name, iamNameKey(u.Name), u.UserID, u.ARN, created)
	if err != nil {
		t.st.note(err)
		if pgCode(err) == codeUniqueViolation {
			return exists
		}
		return internal(err, "insert iam user")
	}
	if tag.RowsAffected() == 0 {
		return exists
	}
	return nil
}

// DeleteIAMUser cascades to the user's keys and policies.
func (t *tx) DeleteIAMUser(ctx context.Context, account, name string) error {
	if !storable(account, name) {
		return nil
	}
	_, err := t.exec(ctx, "delete iam user", `DELETE FROM iam_users WHERE account = $1 AND name_key = $2`,
		account, iamNameKey(name))
	return err
}

// insertUnder runs sql, an INSERT … SELECT … FROM iam_users u WHERE
// u.account = $1 AND u.name_key = $2 (optionally ON CONFLICT), which inserts
// nothing when the user is absent or (for ON CONFLICT DO NOTHING) the row
// exists. Neither fails the statement; the rare race that still raises a
// constraint error is classified the same. dup is the error for an existing
// row, nil if sql never skips one.
func (t *tx) insertUnder(ctx context.Context, op, account, user string, dup error, sql string, args ...any) error {
	args = append([]any{account, iamNameKey(user)}, args...)
	tag, err := t.pg.Exec(ctx, sql, args...)
	if err != nil {
		t.st.note(err)
		switch pgCode(err) {
		case codeUniqueViolation:
			if dup != nil {
				return dup
			}
		case codeForeignKeyViolation:
			return missingUser(user)
		}
		return internal(err, op)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	var found bool
	err = t.pg.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM iam_users u WHERE u.account = $1 AND u.name_key = $2)`,
		account, iamNameKey(user)).Scan(&found)
	if err != nil {
		return t.fail(err, op)
	}
	if !found || dup == nil {
		return missingUser(user)
	}
	return dup
}

func (t *tx) InsertIAMAccessKey(ctx context.Context, k *meta.IAMAccessKey) error {
	if !storable(k.Account, k.UserName) {
		return missingUser(k.UserName)
	}
	if !storable(k.AccessKeyID, k.Status) {
		return unstorable()
	}
	created, err := encTime(k.CreatedTime)
	if err != nil {
		return err
	}
	secret := k.SecretCiphertext
	if secret == nil {
		secret = []byte{} // pgx sends nil as NULL; the column is NOT NULL
	}
	return t.insertUnder(ctx, "insert iam access key", k.Account, k.UserName,
		apierr.Conflicting("", k.AccessKeyID, "Access key %s already exists.", k.AccessKeyID),
		`INSERT INTO iam_access_keys (access_key_id, account, user_name, secret_ciphertext, status, created_time)
		SELECT $3::text, u.account, u.name, $4::bytea, $5::text, $6::bigint
		FROM iam_users u WHERE u.account = $1::text AND u.name_key = $2::text
		ON CONFLICT DO NOTHING`,
		k.AccessKeyID, secret, k.Status, created)
}

func (t *tx) SetIAMAccessKeyStatus(ctx context.Context, id, status string) error {
	if !storable(id, status) {
		return missing(ref{"", id})
	}
	return t.update(ctx, "set iam access key status", ref{"", id},
		`UPDATE iam_access_keys SET status = $1 WHERE access_key_id = $2`, status, id)
}

func (t *tx) DeleteIAMAccessKey(ctx context.Context, id string) error {
	if !storable(id) {
		return nil
	}
	_, err := t.exec(ctx, "delete iam access key", `DELETE FROM iam_access_keys WHERE access_key_id = $1`, id)
	return err
}

func (t *tx) PutIAMUserPolicy(ctx context.Context, p *meta.IAMUserPolicy) error {
	if !storable(p.Account, p.UserName) {
		return missingUser(p.UserName)
	}
	if !storable(p.PolicyName, p.Document) {
		return unstorable()
	}
	return t.insertUnder(ctx, "put iam user policy", p.Account, p.UserName, nil,
		`INSERT INTO iam_user_policies (account, user_name, policy_name, document)
		SELECT u.account, u.name, $3::text, $4::text
		FROM iam_users u WHERE u.account = $1::text AND u.name_key = $2::text
		ON CONFLICT (account, user_name, policy_name) DO UPDATE SET document = excluded.document`,
		p.PolicyName, p.Document)
}

func (t *tx) DeleteIAMUserPolicy(ctx context.Context, account, user, name string) error {
	if !storable(account, user, name) {
		return nil
	}
	_, err := t.exec(ctx, "delete iam user policy", `DELETE FROM iam_user_policies
		WHERE account = $1 AND user_name = `+userSubquery+` AND policy_name = $3`,
		account, iamNameKey(user), name)
	return err
}
