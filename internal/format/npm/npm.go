// Package npm serves the npm registry protocol below a repository endpoint.
// So far it answers `npm ping`; the rest of the registry protocol (packuments,
// tarballs, publish, dist-tags) arrives with the npm issue.
package npm

import (
	"encoding/json"
	"net/http"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
)

// Handler is the npm format.
type Handler struct{}

// ServeRepository implements format.Handler.
func (Handler) ServeRepository(req *format.Request) {
	switch {
	case req.Path == "-/ping" && req.R.Method == http.MethodGet:
		writeJSON(req.W, http.StatusOK, map[string]any{})
	default:
		Handler{}.Error(req.W, apierr.New(apierr.NotFound, "%s /%s is not supported by this npm registry", req.R.Method, req.Path))
	}
}

// Unauthorized implements format.Handler: npm retries with credentials on a
// 401 carrying a challenge.
func (Handler) Unauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="arca", Basic realm="arca"`)
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": message})
}

// Error implements format.Handler: npm shows the "error" member.
func (Handler) Error(w http.ResponseWriter, err error) {
	e := apierr.As(err)
	status := e.Kind.Status()
	msg := e.Message
	if e.Kind == apierr.Internal {
		msg = "internal error"
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
