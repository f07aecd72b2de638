package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/audit"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/config"
)

// openAudit opens the configured audit log, or returns audit.Discard and a
// nil closer when there is none.
func openAudit(cfg config.Config) (audit.Logger, *audit.FileLogger, error) {
	if cfg.AuditLog == "" {
		return audit.Discard, nil, nil
	}
	l, err := audit.Open(cfg.AuditLog, cfg.AuditReads)
	if err != nil {
		return nil, nil, err
	}
	return l, l, nil
}

// dataPlaneAudit returns the data plane's audit hook: it records one
// DataPlane event per repository-endpoint request, named for its action
// (ReadFromRepository for GET and HEAD, DeletePackageVersions for DELETE,
// PublishPackageVersion otherwise), with the token's principal and, for a
// refusal or failure, an error code derived from the response status (the
// formats answer in their clients' dialects, not in exceptions).
func dataPlaneAudit(l audit.Logger, region string) func(http.ResponseWriter, *http.Request, auth.Principal) {
	return func(w http.ResponseWriter, r *http.Request, caller auth.Principal) {
		readOnly := r.Method == http.MethodGet || r.Method == http.MethodHead
		status := http.StatusOK
		if sw, ok := w.(*statusWriter); ok && sw.wrote {
			status = sw.status
		}
		if !l.Wants(readOnly, status >= 400) {
			return
		}
		name := "PublishPackageVersion"
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			name = "ReadFromRepository"
		case http.MethodDelete:
			name = "DeletePackageVersions"
		}
		e := audit.New(w, r, name, audit.TypeDataPlane, time.Now())
		e.ReadOnly = readOnly
		e.AWSRegion = region
		e.UserIdentity = audit.Identity(caller.Account, caller.ARN, "")
		// FORMAT / d / DOMAIN-OWNER / REPO / rest…
		parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 5)
		params := map[string]string{"format": parts[0]}
		if len(parts) >= 4 {
			if i := strings.LastIndexByte(parts[2], '-'); i > 0 {
				params["domain"], params["domainOwner"] = parts[2][:i], parts[2][i+1:]
				params["repository"] = parts[3]
				e.Resources = []audit.Resource{{ARN: "arn:aws:codeartifact:" + region + ":" + parts[2][i+1:] +
					":repository/" + parts[2][:i] + "/" + parts[3]}}
			}
		}
		if len(parts) == 5 && parts[4] != "" {
			params["path"] = parts[4]
		}
		e.RequestParameters = params
		if status >= 400 {
			e.ErrorCode, e.ErrorMessage = statusException(status), http.StatusText(status)
		}
		l.Log(e)
	}
}

// statusException names the exception a control-plane error of the same
// status would carry (Unauthorized for a missing or invalid token).
func statusException(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "UnauthorizedException"
	case http.StatusForbidden:
		return apierr.AccessDenied.Exception()
	case http.StatusNotFound:
		return apierr.NotFound.Exception()
	case http.StatusConflict:
		return apierr.Conflict.Exception()
	case http.StatusTooManyRequests:
		return apierr.Throttling.Exception()
	}
	if status >= 500 {
		return apierr.Internal.Exception()
	}
	return apierr.Validation.Exception()
}
