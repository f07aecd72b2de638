// Package identity owns the principals arca knows: the root key pair of the
// server's account plus the accounts, users, access keys and inline identity
// policies declared in an identities file (YAML or JSON).
//
// A Directory is an immutable snapshot of one valid file; a Reloader holds the
// current Directory behind an atomic pointer and swaps in a new one on Reload
// only when the file still validates, so requests never see a half-loaded or
// invalid set of identities.
//
// Secrets (from the file or from the environment variables it names) are kept
// only in memory, never logged, and never part of an error or String output.
package identity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"gopkg.in/yaml.v3"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/auth/policy"
)

// The file's shape. Type names appear in yaml.v3's unknown-key errors
// ("field x not found in type identity.user"), so they are kept readable.
type (
	file struct {
		Accounts []account `yaml:"accounts"`
	}
	account struct {
		ID    string `yaml:"id"`
		Users []user `yaml:"users"`
	}
	user struct {
		Name       string         `yaml:"name"`
		AccessKeys []accessKey    `yaml:"access_keys"`
		Policies   []inlinePolicy `yaml:"policies"`
	}
	accessKey struct {
		ID        string `yaml:"id"`
		Secret    string `yaml:"secret"`
		SecretEnv string `yaml:"secret_env"`
	}
	inlinePolicy struct {
		Name     string `yaml:"name"`
		Document string `yaml:"document"`
	}
)

var (
	accountIDRE   = regexp.MustCompile(`^[0-9]{12}$`)
	userNameRE    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	accessKeyIDRE = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
	policyNameRE  = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
)

// UserARN is the ARN of user name in account.
func UserARN(account, name string) string { return "arn:aws:iam::" + account + ":user/" + name }

// Directory is one loaded, validated set of identities. It is immutable and
// safe for concurrent use.
type Directory struct {
	path     string
	root     auth.Credential
	keys     map[string]auth.Credential  // by access key id
	policies map[string][]*policy.Policy // by user ARN; present for every user
	accounts []string                    // sorted, root's account included
}

// Load reads and validates the identities file at path. root (the server's
// root key pair) is always the root principal of its account, whether or not
// the file mentions that account. lookupEnv resolves secret_env (os.LookupEnv
// in production). Every problem is reported with the file and the account,
// user, key or policy it is in; secrets never appear in errors.
func Load(path string, root auth.Credential, lookupEnv func(string) (string, bool)) (*Directory, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("identities file: %w", err)
	}
	d, err := parse(b, root, lookupEnv)
	if err != nil {
		return nil, fmt.Errorf("identities file %s: %w", path, err)
	}
	d.path = path
	return d, nil
}

func parse(b []byte, root auth.Credential, lookupEnv func(string) (string, bool)) (*Directory, error) {
	if root.AccessKeyID == "" || !accountIDRE.MatchString(root.Principal.Account) {
		return nil, errors.New("the root credential has no access key id or a malformed account id")
	}
	if root.Principal.ARN == "" {
		root.Principal.ARN = auth.RootARN(root.Principal.Account)
	}
	root.Principal.AccessKeyID = root.AccessKeyID
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}

	var f file
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) { // an empty file declares nobody
		var te *yaml.TypeError
		if errors.As(err, &te) { // one line per problem is hard to read in a log
			return nil, errors.New(strings.Join(te.Errors, "; "))
		}
		return nil, err
	}

	d := &Directory{
		root:     root,
		keys:     map[string]auth.Credential{root.AccessKeyID: root},
		policies: map[string][]*policy.Policy{},
	}
	accounts := map[string]bool{root.Principal.Account: true}
	seenAccounts := map[string]int{}
	for ai, a := range f.Accounts {
		where := fmt.Sprintf("accounts[%d]", ai)
		if !accountIDRE.MatchString(a.ID) {
			return nil, fmt.Errorf("%s: account id %q must be 12 digits", where, a.ID)
		}
		where = fmt.Sprintf("accounts[%d] (%s)", ai, a.ID)
		if prev, dup := seenAccounts[a.ID]; dup {
			return nil, fmt.Errorf("%s: account %s is already declared at accounts[%d]", where, a.ID, prev)
		}
		seenAccounts[a.ID] = ai
		accounts[a.ID] = true
		users := map[string]bool{}
		for ui, u := range a.Users {
			if !userNameRE.MatchString(u.Name) {
				return nil, fmt.Errorf("%s: users[%d]: user name %q must be 1-64 characters of letters, digits and +=,.@_-", where, ui, u.Name)
			}
			uwhere := fmt.Sprintf("%s: user %q", where, u.Name)
			// IAM user names are unique case-insensitively.
			if users[strings.ToLower(u.Name)] {
				return nil, fmt.Errorf("%s: the user is declared twice in the account", uwhere)
			}
			users[strings.ToLower(u.Name)] = true
			p := auth.Principal{Account: a.ID, ARN: UserARN(a.ID, u.Name)}
			for ki, k := range u.AccessKeys {
				if !accessKeyIDRE.MatchString(k.ID) {
					return nil, fmt.Errorf("%s: access_keys[%d]: access key id %q must be 16-128 upper-case letters and digits", uwhere, ki, k.ID)
				}
				kwhere := fmt.Sprintf("%s: access key %s", uwhere, k.ID)
				if k.ID == root.AccessKeyID {
					return nil, fmt.Errorf("%s: the id is the root access key id", kwhere)
				}
				if _, dup := d.keys[k.ID]; dup {
					return nil, fmt.Errorf("%s: the access key id is declared twice", kwhere)
				}
				secret, err := resolveSecret(k, lookupEnv)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", kwhere, err)
				}
				kp := p
				kp.AccessKeyID = k.ID
				d.keys[k.ID] = auth.Credential{AccessKeyID: k.ID, SecretAccessKey: secret, Principal: kp}
			}
			names := map[string]bool{}
			pols := make([]*policy.Policy, 0, len(u.Policies))
			for pi, ip := range u.Policies {
				if !policyNameRE.MatchString(ip.Name) {
					return nil, fmt.Errorf("%s: policies[%d]: policy name %q must be 1-128 characters of letters, digits and +=,.@_-", uwhere, pi, ip.Name)
				}
				pwhere := fmt.Sprintf("%s: policy %q", uwhere, ip.Name)
				if names[ip.Name] {
					return nil, fmt.Errorf("%s: the policy name is used twice for the user", pwhere)
				}
				names[ip.Name] = true
				pol, err := policy.Parse(ip.Document)
				if err == nil {
					err = pol.CheckIdentity()
				}
				if err != nil {
					return nil, fmt.Errorf("%s: %s", pwhere, message(err))
				}
				pols = append(pols, pol)
			}
			d.policies[p.ARN] = pols
		}
	}
	for a := range accounts {
		d.accounts = append(d.accounts, a)
	}
	sort.Strings(d.accounts)
	return d, nil
}

// resolveSecret returns a key's secret: given inline or held in the named
// environment variable, exactly one of the two.
func resolveSecret(k accessKey, lookupEnv func(string) (string, bool)) (string, error) {
	switch {
	case k.Secret != "" && k.SecretEnv != "":
		return "", errors.New("set secret or secret_env, not both")
	case k.Secret != "":
		return k.Secret, nil
	case k.SecretEnv != "":
		v, ok := lookupEnv(k.SecretEnv)
		if !ok {
			return "", fmt.Errorf("secret_env: environment variable %s is not set", k.SecretEnv)
		}
		if v == "" {
			return "", fmt.Errorf("secret_env: environment variable %s is empty", k.SecretEnv)
		}
		return v, nil
	}
	return "", errors.New("the secret is missing: set secret or secret_env")
}

// message is the client-facing text of a policy error.
func message(err error) string {
	var e *apierr.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

func unrecognized() error {
	return apierr.New(apierr.UnrecognizedClient, "The security token included in the request is invalid.")
}

// Lookup implements auth.Credentials.
func (d *Directory) Lookup(_ context.Context, accessKeyID string) (auth.Credential, error) {
	if c, ok := d.keys[accessKeyID]; ok {
		return c, nil
	}
	return auth.Credential{}, unrecognized()
}

// IdentityPolicies returns the inline identity policies of the principal with
// this ARN, in file order; nil for root (which has every identity permission
// implicitly) and for ARNs the directory does not know. The slice is shared:
// callers must not modify it.
func (d *Directory) IdentityPolicies(principalARN string) []*policy.Policy {
	pols := d.policies[principalARN]
	if len(pols) == 0 {
		return nil
	}
	return pols
}

// IsRoot reports whether p is the root principal of the server's account.
// Only the ARN is compared, so a principal carried by a token (no access key)
// qualifies too.
func (d *Directory) IsRoot(p auth.Principal) bool {
	return p.ARN != "" && p.ARN == d.root.Principal.ARN
}

// Known reports whether principalARN is a principal of this directory: the
// root principal or a declared user (with or without access keys). A token
// whose principal is no longer known should stop working.
func (d *Directory) Known(principalARN string) bool {
	if principalARN == d.root.Principal.ARN {
		return true
	}
	_, ok := d.policies[principalARN]
	return ok
}

// Accounts returns the account ids the directory knows (the root account and
// every account in the file), sorted.
func (d *Directory) Accounts() []string { return append([]string(nil), d.accounts...) }

// RootAccount is the account of the root principal.
func (d *Directory) RootAccount() string { return d.root.Principal.Account }

// String describes the directory without any secret.
func (d *Directory) String() string {
	return fmt.Sprintf("identities(%s: %d accounts, %d users, %d access keys)", d.path, len(d.accounts), len(d.policies), len(d.keys))
}

// Reloader holds the current Directory of an identities file and replaces it
// on Reload. It implements auth.Credentials and the Directory queries by
// delegating to whichever Directory is current at the time of the call.
type Reloader struct {
	path      string
	root      auth.Credential
	lookupEnv func(string) (string, bool)
	mu        sync.Mutex // serializes Reload
	cur       atomic.Pointer[Directory]
}

// NewReloader loads path (see Load) and returns a Reloader serving it.
func NewReloader(path string, root auth.Credential, lookupEnv func(string) (string, bool)) (*Reloader, error) {
	d, err := Load(path, root, lookupEnv)
	if err != nil {
		return nil, err
	}
	r := &Reloader{path: path, root: root, lookupEnv: lookupEnv}
	r.cur.Store(d)
	return r, nil
}

// Reload re-reads the file. If it is valid, the new directory replaces the
// current one atomically: a key removed from the file is refused from the next
// lookup on. If not, the current directory stays and the error is returned.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, err := Load(r.path, r.root, r.lookupEnv)
	if err != nil {
		return err
	}
	r.cur.Store(d)
	return nil
}

// Current is the directory in force now.
func (r *Reloader) Current() *Directory { return r.cur.Load() }

// Lookup implements auth.Credentials.
func (r *Reloader) Lookup(ctx context.Context, accessKeyID string) (auth.Credential, error) {
	return r.cur.Load().Lookup(ctx, accessKeyID)
}

// IdentityPolicies delegates to the current Directory.
func (r *Reloader) IdentityPolicies(principalARN string) []*policy.Policy {
	return r.cur.Load().IdentityPolicies(principalARN)
}

// IsRoot delegates to the current Directory.
func (r *Reloader) IsRoot(p auth.Principal) bool { return r.cur.Load().IsRoot(p) }

// Known delegates to the current Directory.
func (r *Reloader) Known(principalARN string) bool { return r.cur.Load().Known(principalARN) }

// String describes the current directory without any secret.
func (r *Reloader) String() string { return r.cur.Load().String() }
