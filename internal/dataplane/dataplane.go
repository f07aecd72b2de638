// Package dataplane is the transport for repository endpoints, the URLs
// package managers talk to: PUBLIC_URL/FORMAT/d/DOMAIN-OWNER/REPO/… (the
// path form CodeArtifact uses behind VPC endpoints). It authenticates the
// authorization token in any header form a client sends, checks that the
// token is for the addressed domain, resolves the repository, and hands the
// request to the format's handler, which answers in its client's dialect.
package dataplane

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/auth/token"
	"github.com/arca-repo/arca/internal/authz"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/pkgsvc"
	"github.com/arca-repo/arca/internal/reqinfo"
)

// TokenVerifier checks authorization tokens: signature, expiry, and that
// the principal still exists with the unique id the token was issued to.
type TokenVerifier interface {
	// Verify returns the token's claims, or an UnrecognizedClient or
	// ExpiredToken error for a token to refuse (another kind when the check
	// itself failed).
	Verify(ctx context.Context, tok string, now time.Time) (token.Claims, error)
}

// Handler routes repository-endpoint requests to formats.
type Handler struct {
	svc     *pkgsvc.Service
	tokens  TokenVerifier
	formats format.Formats
	authz   *authz.Authorizer
	log     *slog.Logger
	now     func() time.Time
	// Audit, if set, is called once per request after the response, with
	// the token's principal (zero when the token was missing or invalid).
	Audit func(w http.ResponseWriter, r *http.Request, caller auth.Principal)
}

// New returns the data-plane handler.
func New(svc *pkgsvc.Service, tokens TokenVerifier, formats format.Formats, az *authz.Authorizer, log *slog.Logger) *Handler {
	return &Handler{svc: svc, tokens: tokens, formats: formats, authz: az, log: log, now: time.Now}
}

// Handles reports whether path addresses a repository endpoint of a known
// format, so the server can send everything else to its own 404.
func (h *Handler) Handles(path string) bool {
	f, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	_, ok := h.formats[f]
	return ok && strings.HasPrefix(rest, "d/")
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var caller auth.Principal
	if h.Audit != nil {
		defer func() { h.Audit(w, r, caller) }()
	}
	// FORMAT / d / DOMAIN-OWNER / REPO / rest…
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 5)
	fh := h.formats[parts[0]]
	if fh == nil {
		apierr.Write(w, apierr.New(apierr.UnknownOperation, "No route for %s %s.", r.Method, r.URL.Path))
		return
	}
	reqinfo.Set(w, "data", parts[0], "") // a format's name: one of a fixed few
	if len(parts) < 4 || parts[1] != "d" || parts[3] == "" {
		fh.Error(w, apierr.New(apierr.NotFound, "%s is not a repository endpoint: want /%s/d/DOMAIN-OWNER/REPOSITORY/", r.URL.Path, parts[0]))
		return
	}
	domain, owner, ok := splitDomainOwner(parts[2])
	if !ok {
		fh.Error(w, apierr.New(apierr.NotFound, "'%s' is not DOMAIN-OWNER (a domain name, a dash and a 12-digit account).", parts[2]))
		return
	}
	tok := bearerToken(r)
	if tok == "" {
		fh.Unauthorized(w, "An authorization token is required: get one with `aws codeartifact get-authorization-token`.")
		return
	}
	// A token carries its principal, not its permissions: the principal
	// must still exist with the unique id the token names (a user deleted
	// and created again is another principal), and its permissions are
	// evaluated now, so removing the principal or its permission takes the
	// token's power away at once.
	claims, err := h.tokens.Verify(r.Context(), tok, h.now())
	if k := apierr.KindOf(err); k == apierr.UnrecognizedClient || k == apierr.ExpiredToken {
		fh.Unauthorized(w, apierr.As(err).Message)
		return
	} else if err != nil {
		h.fail(fh, w, r, err)
		return
	}
	if claims.Domain != domain || claims.DomainOwner != owner {
		fh.Error(w, apierr.New(apierr.AccessDenied, "The authorization token is for domain %s-%s, not %s-%s.", claims.Domain, claims.DomainOwner, domain, owner))
		return
	}
	caller = auth.Principal{Account: claims.Account, ARN: claims.PrincipalARN}
	reqinfo.Set(w, "", "", caller.ARN)
	d, repo, err := h.svc.ResolveRepository(r.Context(), owner, domain, parts[3])
	if err != nil {
		h.fail(fh, w, r, err)
		return
	}
	authorize := func(action, resource string) error {
		return h.authz.Check(r.Context(), caller, action, resource, d.Owner)
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if err := authorize("codeartifact:ReadFromRepository", h.svc.RepositoryARN(d.Owner, d.Name, repo.Name)); err != nil {
			h.fail(fh, w, r, err)
			return
		}
	}
	rest := ""
	if len(parts) == 5 {
		rest = parts[4]
	}
	fh.ServeRepository(&format.Request{W: w, R: r, Caller: caller, Domain: d, Repository: repo, Path: rest, Authorize: authorize})
}

func (h *Handler) fail(fh format.Handler, w http.ResponseWriter, r *http.Request, err error) {
	if apierr.KindOf(err) == apierr.Internal {
		h.log.Error("data-plane request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	fh.Error(w, err)
}

// splitDomainOwner splits "DOMAIN-OWNER" at its last dash: domain names may
// contain dashes, owners are 12 digits.
func splitDomainOwner(s string) (domain, owner string, ok bool) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 || len(s)-i-1 != 12 {
		return "", "", false
	}
	owner = s[i+1:]
	for _, c := range owner {
		if c < '0' || c > '9' {
			return "", "", false
		}
	}
	return s[:i], owner, true
}
