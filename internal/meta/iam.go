package meta

import (
	"context"
	"time"
)

// IAMUser is a user managed through the IAM API (users of the identities
// file are not stored). Names are unique per account ignoring case, as in
// IAM; ARN is arn:aws:iam::ACCOUNT:user/NAME.
type IAMUser struct {
	Account     string
	Name        string
	UserID      string // AIDA… as IAM shows it
	ARN         string
	CreatedTime time.Time
}

// IAMAccessKey is an access key of an IAM-managed user. The secret is kept
// only encrypted (SecretCiphertext); the store never sees it in clear.
type IAMAccessKey struct {
	AccessKeyID      string
	Account          string
	UserName         string
	SecretCiphertext []byte
	Status           string // Active | Inactive
	CreatedTime      time.Time
}

// IAMUserPolicy is an inline identity policy of an IAM-managed user.
type IAMUserPolicy struct {
	Account    string
	UserName   string
	PolicyName string
	Document   string
}

// IAMReader reads IAM-managed identities.
type IAMReader interface {
	// GetIAMUser returns a user, matching the name ignoring case; NotFound
	// if absent.
	GetIAMUser(ctx context.Context, account, name string) (*IAMUser, error)
	// ListIAMUsers lists an account's users ordered by name.
	ListIAMUsers(ctx context.Context, account string, opt ListOptions) ([]IAMUser, string, error)
	// GetIAMAccessKey returns an access key by id; NotFound if absent.
	GetIAMAccessKey(ctx context.Context, accessKeyID string) (*IAMAccessKey, error)
	// ListIAMAccessKeys lists a user's keys ordered by id.
	ListIAMAccessKeys(ctx context.Context, account, userName string) ([]IAMAccessKey, error)
	// GetIAMUserPolicy returns an inline policy; NotFound if absent.
	GetIAMUserPolicy(ctx context.Context, account, userName, policyName string) (*IAMUserPolicy, error)
	// ListIAMUserPolicies lists a user's inline policies ordered by name.
	ListIAMUserPolicies(ctx context.Context, account, userName string) ([]IAMUserPolicy, error)
}

// IAMWriter changes IAM-managed identities; only available inside
// Store.Update.
type IAMWriter interface {
	// InsertIAMUser adds u; Conflict if the account has a user of that name
	// ignoring case.
	InsertIAMUser(ctx context.Context, u *IAMUser) error
	// DeleteIAMUser removes a user with its keys and policies.
	DeleteIAMUser(ctx context.Context, account, name string) error
	// InsertIAMAccessKey adds k; Conflict if the id exists, NotFound if the
	// user does not.
	InsertIAMAccessKey(ctx context.Context, k *IAMAccessKey) error
	// SetIAMAccessKeyStatus sets a key's Status; NotFound if absent.
	SetIAMAccessKeyStatus(ctx context.Context, accessKeyID, status string) error
	// DeleteIAMAccessKey removes a key (absent: no-op).
	DeleteIAMAccessKey(ctx context.Context, accessKeyID string) error
	// PutIAMUserPolicy adds or replaces an inline policy; NotFound if the
	// user does not exist.
	PutIAMUserPolicy(ctx context.Context, p *IAMUserPolicy) error
	// DeleteIAMUserPolicy removes an inline policy (absent: no-op).
	DeleteIAMUserPolicy(ctx context.Context, account, userName, policyName string) error
}
