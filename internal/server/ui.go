package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/arca-repo/arca/internal/audit"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/authz"
	"github.com/arca-repo/arca/internal/config"
	"github.com/arca-repo/arca/internal/pkgsvc"
	"github.com/arca-repo/arca/internal/ui"
)

// uiHandler builds the web UI (PUBLIC_URL/ui/) over the service, the
// credential chain SigV4 verification uses, and an authorizer like the
// API's. Its session key is ui_session_key, else derived from the token
// key, so every node sharing the token key accepts the same sessions.
func uiHandler(cfg config.Config, svc *pkgsvc.Service, creds auth.Credentials, tokenKey []byte, tls bool, al audit.Logger, log *slog.Logger) (http.Handler, error) {
	key, _ := hex.DecodeString(cfg.UISessionKey) // Validate checked it
	if len(key) == 0 {
		m := hmac.New(sha256.New, tokenKey)
		m.Write([]byte("arca ui session key"))
		key = m.Sum(nil)
	}
	return ui.New(ui.Options{
		Service: svc, Credentials: creds, Authz: authz.New(creds, svc), Log: log,
		PublicURL: cfg.PublicURL, SessionKey: key, SessionLifetime: time.Duration(cfg.UISessionLifetime) * time.Second, TLS: tls, Audit: al,
	})
}
