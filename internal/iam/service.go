// Package iam answers the IAM and STS calls arca supports (users, access
// keys, inline user policies, GetCallerIdentity) in AWS's query protocol,
// and chains the IAM-managed access keys behind the server's own
// identities (root credential or identities file) so every transport
// authenticates against both.
//
// Access-key secrets are encrypted with AES-256-GCM before they reach the
// metadata store and are returned to a client only by CreateAccessKey.
package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/auth/policy"
	"github.com/arca-repo/arca/internal/meta"
)

// MaxAccessKeysPerUser is IAM's quota of access keys per user.
const MaxAccessKeysPerUser = 2

// maxPolicyDocument bounds an inline policy document (IAM's PolicyDocument
// member constraint).
const maxPolicyDocument = 131072

// MaxInlinePolicySize is IAM's quota on the inline policies of one user,
// counted together and without whitespace.
const MaxInlinePolicySize = 2048

// policySize is a document's size as IAM's quota counts it.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

var (
	userNameRE   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	policyNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	// managedKeyRE matches the access key ids CreateAccessKey issues; other
	// ids are never looked up in the store.
	managedKeyRE = regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`)
	userARNRE    = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):user/([\w+=,.@-]{1,64})$`)
)

// UserARN is the ARN of user name in account.
func UserARN(account, name string) string { return "arn:aws:iam::" + account + ":user/" + name }

// Service manages IAM users, their access keys and inline policies.
type Service struct {
	store   meta.Store
	sealer  *sealer
	account string
	root    auth.Credential
	now     func() time.Time
	creds   *Credentials
}

// New returns a Service over store. key (KeySize bytes, see DeriveKey)
// encrypts access-key secrets; account is the server's account and root its
// root credential, which is also the identities Credentials chain in front
// of the store until SetIdentities names another source.
func New(store meta.Store, key []byte, account string, root auth.Credential) (*Service, error) {
	s, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	if root.Principal.ARN == "" {
		root.Principal.ARN = auth.RootARN(root.Principal.Account)
	}
	svc := &Service{store: store, sealer: s, account: account, root: root, now: time.Now}
	svc.creds = &Credentials{svc: svc}
	svc.creds.base.Store(&baseHolder{auth.Static{root}})
	return svc, nil
}

// SetIdentities makes base (the identities-file Reloader) the source the
// Credentials consult before the store, in place of the root credential
// alone. base must know the root credential.
func (s *Service) SetIdentities(base auth.Credentials) {
	s.creds.base.Store(&baseHolder{base})
}

// Credentials is the chained credential source (identities, then the
// IAM-managed keys) every transport should authenticate against.
func (s *Service) Credentials() *Credentials { return s.creds }

// Account is the server's account.
func (s *Service) Account() string { return s.account }

// User is an IAM user as the API shows it.
type User struct {
	Path        string
	UserName    string
	UserID      string
	ARN         string
	CreatedTime time.Time
}

// AccessKey is an access key as the API shows it; SecretAccessKey is set
// only in CreateAccessKey's answer.
type AccessKey struct {
	UserName        string
	AccessKeyID     string
	Status          string
	SecretAccessKey string
	CreatedTime     time.Time
}

// UserPolicy is an inline policy of a user.
type UserPolicy struct {
	UserName       string
	PolicyName     string
	PolicyDocument string
}

func userOf(u *meta.IAMUser) User {
	return User{Path: "/", UserName: u.Name, UserID: u.UserID, ARN: u.ARN, CreatedTime: u.CreatedTime}
}

func checkUserName(member, name string) error {
	if name == "" {
		return validation("The request must contain the parameter %s.", member)
	}
	if !userNameRE.MatchString(name) {
		return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and 64", name, lowerFirst(member))
	}
	return nil
}

func checkPolicyName(name string) error {
	if name == "" {
		return validation("The request must contain the parameter PolicyName.")
	}
	if !policyNameRE.MatchString(name) {
		return validation("1 validation error detected: Value '%s' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and 128", name)
	}
	return nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func noSuchUser(name string) *Error {
	return noSuchEntity("The user with name %s cannot be found.", name)
}

// getUser reads a user, turning NotFound into IAM's NoSuchEntity.
func getUser(ctx context.Context, r meta.IAMReader, account, name string) (*meta.IAMUser, error) {
	u, err := r.GetIAMUser(ctx, account, name)
	if apierr.Is(err, apierr.NotFound) {
		return nil, noSuchUser(name)
	}
	return u, err
}

// CreateUser creates user name in account.
func (s *Service) CreateUser(ctx context.Context, account, name string) (User, error) {
	if err := checkUserName("UserName", name); err != nil {
		return User{}, err
	}
	exists := func() error {
		return newErr(CodeEntityAlreadyExists, http.StatusConflict, "User with name %s already exists.", name)
	}
	// A user of the identities file holds the name too.
	if s.creds.baseKnown(UserARN(account, name)) {
		return User{}, exists()
	}
	u := &meta.IAMUser{Account: account, Name: name, UserID: "AIDA" + randomID(16),
		ARN: UserARN(account, name), CreatedTime: s.now().UTC().Truncate(time.Second)}
	err := s.store.Update(ctx, func(tx meta.Tx) error {
		return tx.InsertIAMUser(ctx, u)
	})
	if apierr.Is(err, apierr.Conflict) {
		return User{}, exists()
	}
	if err != nil {
		return User{}, err
	}
	return userOf(u), nil
}

// DeleteUser deletes a user that has no access keys and no inline policies
// left, as IAM requires.
func (s *Service) DeleteUser(ctx context.Context, account, name string) error {
	if err := checkUserName("UserName", name); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meta.Tx) error {
		u, err := getUser(ctx, tx, account, name)
		if err != nil {
			return err
		}
		keys, err := tx.ListIAMAccessKeys(ctx, account, u.Name)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			return newErr(CodeDeleteConflict, http.StatusConflict, "Cannot delete entity, must delete access keys first.")
		}
		pols, err := tx.ListIAMUserPolicies(ctx, account, u.Name)
		if err != nil {
			return err
		}
		if len(pols) > 0 {
			return newErr(CodeDeleteConflict, http.StatusConflict, "Cannot delete entity, must delete policies first.")
		}
		return tx.DeleteIAMUser(ctx, account, u.Name)
	})
}

// GetUser describes a user: an IAM-managed one as stored, a user of the
// identities file with its derived UserId (and no creation time, which the
// file does not record).
func (s *Service) GetUser(ctx context.Context, account, name string) (User, error) {
	if err := checkUserName("UserName", name); err != nil {
		return User{}, err
	}
	if arn := UserARN(account, name); s.creds.baseKnown(arn) {
		return User{Path: "/", UserName: name, UserID: pseudoUserID(arn), ARN: arn}, nil
	}
	u, err := getUser(ctx, s.store, account, name)
	if err != nil {
		return User{}, err
	}
	return userOf(u), nil
}

// ListUsers lists an account's IAM-managed users ordered by name; marker is
// "" on the last page.
func (s *Service) ListUsers(ctx context.Context, account, marker string, maxItems int) ([]User, string, error) {
	if maxItems <= 0 {
		maxItems = 100
	}
	if maxItems > 1000 {
		return nil, "", validation("1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000", maxItems)
	}
	us, next, err := s.store.ListIAMUsers(ctx, account, meta.ListOptions{Limit: maxItems, After: marker})
	if err != nil {
		return nil, "", err
	}
	out := make([]User, len(us))
	for i := range us {
		out[i] = userOf(&us[i])
	}
	return out, next, nil
}

// CreateAccessKey issues a new active key for a user; the answer is the
// only place its secret ever appears in clear.
func (s *Service) CreateAccessKey(ctx context.Context, account, userName string) (AccessKey, error) {
	if err := checkUserName("UserName", userName); err != nil {
		return AccessKey{}, err
	}
	secret := randomString(40, secretAlphabet)
	var k *meta.IAMAccessKey
	for attempt := 0; ; attempt++ {
		id := "AKIA" + randomID(16)
		if s.creds.baseHas(ctx, id) { // never shadow a root or file key
			continue
		}
		ct, err := s.sealer.seal(id, secret)
		if err != nil {
			return AccessKey{}, apierr.Wrap(err, "encrypting the secret")
		}
		k = &meta.IAMAccessKey{AccessKeyID: id, Account: account, SecretCiphertext: ct, Status: "Active",
			CreatedTime: s.now().UTC().Truncate(time.Second)}
		err = s.store.Update(ctx, func(tx meta.Tx) error {
			u, err := getUser(ctx, tx, account, userName)
			if err != nil {
				return err
			}
			k.UserName = u.Name
			keys, err := tx.ListIAMAccessKeys(ctx, account, u.Name)
			if err != nil {
				return err
			}
			if len(keys) >= MaxAccessKeysPerUser {
				return newErr(CodeLimitExceeded, http.StatusConflict, "Cannot exceed quota for AccessKeysPerUser: %d", MaxAccessKeysPerUser)
			}
			return tx.InsertIAMAccessKey(ctx, k)
		})
		if apierr.Is(err, apierr.Conflict) && attempt < 3 { // id collision: draw again
			continue
		}
		if err != nil {
			return AccessKey{}, err
		}
		break
	}
	return AccessKey{UserName: k.UserName, AccessKeyID: k.AccessKeyID, Status: k.Status,
		SecretAccessKey: secret, CreatedTime: k.CreatedTime}, nil
}

// DeleteAccessKey deletes a key of a user; it stops authenticating at once.
func (s *Service) DeleteAccessKey(ctx context.Context, account, userName, accessKeyID string) error {
	if err := checkUserName("UserName", userName); err != nil {
		return err
	}
	return s.withUserKey(ctx, account, userName, accessKeyID, func(tx meta.Tx) error {
		return tx.DeleteIAMAccessKey(ctx, accessKeyID)
	})
}

// withUserKey runs fn in a transaction after checking that accessKeyID is
// a key of the account's user userName (NoSuchEntity otherwise).
func (s *Service) withUserKey(ctx context.Context, account, userName, accessKeyID string, fn func(tx meta.Tx) error) error {
	if accessKeyID == "" {
		return validation("The request must contain the parameter AccessKeyId.")
	}
	return s.store.Update(ctx, func(tx meta.Tx) error {
		u, err := getUser(ctx, tx, account, userName)
		if err != nil {
			return err
		}
		k, err := tx.GetIAMAccessKey(ctx, accessKeyID)
		if apierr.Is(err, apierr.NotFound) || err == nil && (k.Account != account || !strings.EqualFold(k.UserName, u.Name)) {
			return noSuchEntity("The Access Key with id %s cannot be found.", accessKeyID)
		}
		if err != nil {
			return err
		}
		return fn(tx)
	})
}

// UpdateAccessKey makes a user's key Active or Inactive; an inactive key
// stops authenticating at once and works again when re-activated.
func (s *Service) UpdateAccessKey(ctx context.Context, account, userName, accessKeyID, status string) error {
	if err := checkUserName("UserName", userName); err != nil {
		return err
	}
	if status != "Active" && status != "Inactive" {
		return validation("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", status)
	}
	return s.withUserKey(ctx, account, userName, accessKeyID, func(tx meta.Tx) error {
		return tx.SetIAMAccessKeyStatus(ctx, accessKeyID, status)
	})
}

// ListAccessKeys lists a user's keys (without secrets).
func (s *Service) ListAccessKeys(ctx context.Context, account, userName string) ([]AccessKey, error) {
	if err := checkUserName("UserName", userName); err != nil {
		return nil, err
	}
	u, err := getUser(ctx, s.store, account, userName)
	if err != nil {
		return nil, err
	}
	keys, err := s.store.ListIAMAccessKeys(ctx, account, u.Name)
	if err != nil {
		return nil, err
	}
	out := make([]AccessKey, len(keys))
	for i, k := range keys {
		out[i] = AccessKey{UserName: u.Name, AccessKeyID: k.AccessKeyID, Status: k.Status, CreatedTime: k.CreatedTime}
	}
	return out, nil
}

// PutUserPolicy adds or replaces an inline policy of a user after checking
// it is a valid identity policy.
func (s *Service) PutUserPolicy(ctx context.Context, account, userName, policyName, document string) error {
	if err := checkUserName("UserName", userName); err != nil {
		return err
	}
	if err := checkPolicyName(policyName); err != nil {
		return err
	}
	if document == "" {
		return validation("The request must contain the parameter PolicyDocument.")
	}
	if len(document) > maxPolicyDocument {
		return validation("1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must have length less than or equal to %d", maxPolicyDocument)
	}
	p, err := policy.Parse(document)
	if err == nil {
		err = p.CheckIdentity()
	}
	if err != nil {
		msg := err.Error()
		var ae *apierr.Error
		if errors.As(err, &ae) {
			msg = ae.Message
		}
		return newErr(CodeMalformedPolicy, http.StatusBadRequest, "%s", msg)
	}
	return s.store.Update(ctx, func(tx meta.Tx) error {
		u, err := getUser(ctx, tx, account, userName)
		if err != nil {
			return err
		}
		// IAM's quota: all inline policies of a user together, whitespace
		// not counted.
		others, err := tx.ListIAMUserPolicies(ctx, account, u.Name)
		if err != nil {
			return err
		}
		total := policySize(document)
		for _, o := range others {
			if o.PolicyName != policyName {
				total += policySize(o.Document)
			}
		}
		if total > MaxInlinePolicySize {
			return newErr(CodeLimitExceeded, http.StatusConflict, "Maximum policy size of %d bytes exceeded for user %s", MaxInlinePolicySize, u.Name)
		}
		err = tx.PutIAMUserPolicy(ctx, &meta.IAMUserPolicy{Account: account, UserName: u.Name, PolicyName: policyName, Document: document})
		if apierr.Is(err, apierr.NotFound) {
			return noSuchUser(userName)
		}
		return err
	})
}

func noSuchPolicy(name string) *Error {
	return noSuchEntity("The user policy with name %s cannot be found.", name)
}

// GetUserPolicy returns an inline policy of a user.
func (s *Service) GetUserPolicy(ctx context.Context, account, userName, policyName string) (UserPolicy, error) {
	if err := checkUserName("UserName", userName); err != nil {
		return UserPolicy{}, err
	}
	if err := checkPolicyName(policyName); err != nil {
		return UserPolicy{}, err
	}
	u, err := getUser(ctx, s.store, account, userName)
	if err != nil {
		return UserPolicy{}, err
	}
	p, err := s.store.GetIAMUserPolicy(ctx, account, u.Name, policyName)
	if apierr.Is(err, apierr.NotFound) {
		return UserPolicy{}, noSuchPolicy(policyName)
	}
	if err != nil {
		return UserPolicy{}, err
	}
	return UserPolicy{UserName: u.Name, PolicyName: p.PolicyName, PolicyDocument: p.Document}, nil
}

// DeleteUserPolicy removes an inline policy of a user.
func (s *Service) DeleteUserPolicy(ctx context.Context, account, userName, policyName string) error {
	if err := checkUserName("UserName", userName); err != nil {
		return err
	}
	if err := checkPolicyName(policyName); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx meta.Tx) error {
		u, err := getUser(ctx, tx, account, userName)
		if err != nil {
			return err
		}
		if _, err := tx.GetIAMUserPolicy(ctx, account, u.Name, policyName); err != nil {
			if apierr.Is(err, apierr.NotFound) {
				return noSuchPolicy(policyName)
			}
			return err
		}
		return tx.DeleteIAMUserPolicy(ctx, account, u.Name, policyName)
	})
}

// CallerIdentity is GetCallerIdentity's answer.
type CallerIdentity struct {
	Account, ARN, UserID string
}

// GetCallerIdentity describes the principal p.
func (s *Service) GetCallerIdentity(ctx context.Context, p auth.Principal) (CallerIdentity, error) {
	id, err := s.creds.PrincipalID(ctx, p.ARN)
	if err != nil {
		return CallerIdentity{}, err
	}
	return CallerIdentity{Account: p.Account, ARN: p.ARN, UserID: id}, nil
}

// Alphabets of generated identifiers.
const (
	idAlphabet     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

func randomID(n int) string { return randomString(n, idAlphabet) }

// randomString draws n characters uniformly from alphabet (at most 256
// characters) with crypto/rand, rejecting bytes that would bias the draw.
func randomString(n int, alphabet string) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+16)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic("iam: crypto/rand failed: " + err.Error())
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// pseudoUserID is a stable AIDA… id for a user of the identities file,
// which has none of its own: derived from the ARN (account and name), so it
// is the same on every node and across restarts and reloads.
func pseudoUserID(arn string) string {
	h := sha256.Sum256([]byte(arn))
	out := make([]byte, 16)
	for i := range out {
		out[i] = idAlphabet[int(h[i])%len(idAlphabet)]
	}
	return "AIDA" + string(out)
}
