package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/auth/token"
	"github.com/arca-repo/arca/internal/config"
)

// Files under the data directory that hold secrets (mode 0600).
const (
	rootCredentialsFile = "root-credentials.json"
	tokenKeyFile        = "token-signing.key"
)

type storedCredentials struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
}

// rootCredential returns the root key pair: from the configuration when set,
// else from the data directory, else freshly generated, stored (0600) and
// printed once to out. There is never a built-in default secret.
func rootCredential(cfg *config.Config, out io.Writer) (auth.Credential, error) {
	p := auth.Principal{Account: cfg.AccountID, ARN: auth.RootARN(cfg.AccountID)}
	if cfg.RootAccessKeyID != "" {
		p.AccessKeyID = cfg.RootAccessKeyID
		return auth.Credential{AccessKeyID: cfg.RootAccessKeyID, SecretAccessKey: cfg.RootSecretAccessKey, Principal: p}, nil
	}
	path := filepath.Join(cfg.DataDir, rootCredentialsFile)
	var sc storedCredentials
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &sc); err != nil || sc.AccessKeyID == "" || sc.SecretAccessKey == "" {
			return auth.Credential{}, fmt.Errorf("%s is damaged; remove it to generate a new key pair", path)
		}
	case errors.Is(err, fs.ErrNotExist):
		sc = storedCredentials{AccessKeyID: "AKIA" + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
			SecretAccessKey: randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
		b, _ := json.MarshalIndent(sc, "", "  ")
		if err := writeSecret(path, b); err != nil {
			return auth.Credential{}, err
		}
		fmt.Fprintf(out, "arca: generated root credentials (stored in %s):\n  AWS_ACCESS_KEY_ID=%s\n  AWS_SECRET_ACCESS_KEY=%s\n",
			path, sc.AccessKeyID, sc.SecretAccessKey)
	default:
		return auth.Credential{}, err
	}
	p.AccessKeyID = sc.AccessKeyID
	return auth.Credential{AccessKeyID: sc.AccessKeyID, SecretAccessKey: sc.SecretAccessKey, Principal: p}, nil
}

// tokenIssuer returns the authorization-token issuer and its key: the key
// comes from the configuration (so several nodes can share it) or from the
// data directory, generated on first start.
func tokenIssuer(cfg *config.Config) (*token.Issuer, []byte, error) {
	k, err := tokenKey(cfg)
	if err != nil {
		return nil, nil, err
	}
	iss, err := token.NewIssuer(k)
	return iss, k, err
}

func tokenKey(cfg *config.Config) ([]byte, error) {
	if cfg.TokenKey != "" {
		k, err := hex.DecodeString(cfg.TokenKey)
		if err != nil || len(k) < 32 {
			return nil, fmt.Errorf("the token key must be at least 32 bytes, hex-encoded")
		}
		return k, nil
	}
	path := filepath.Join(cfg.DataDir, tokenKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err := token.GenerateKey()
		if err != nil {
			return nil, err
		}
		if err := writeSecret(path, []byte(hex.EncodeToString(k)+"\n")); err != nil {
			return nil, err
		}
		return k, nil
	}
	if err != nil {
		return nil, err
	}
	k, err := hex.DecodeString(string(trimNewline(b)))
	if err != nil || len(k) < 32 {
		return nil, fmt.Errorf("%s is damaged", path)
	}
	return k, nil
}

// writeSecret creates path with mode 0600, durably, failing if it exists.
func writeSecret(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
