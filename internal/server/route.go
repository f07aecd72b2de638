package server

import (
	"net/http"
	"path"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
)

// planeErrors answers, in the plane's own dialect, the requests Go's
// ServeMux would otherwise redirect with an HTML page: paths with "." or
// ".." segments or an empty segment ("//"), which it redirects to their
// cleaned form, and "/v1", which it redirects to "/v1/". No client of
// either plane follows such a redirect usefully, and on the control plane a
// signed request cannot survive one. A control-plane path gets the JSON
// error of an unknown operation, a data-plane path its format's 404 (npm
// JSON, PyPI text), anything else the JSON "no route". Every other request
// goes to mux.
func planeErrors(mux, controlPlane http.Handler, dataPlane func(path string) bool, formats format.Formats) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.EscapedPath()
		if r.Method == http.MethodConnect || (p != "/v1" && isClean(p)) {
			mux.ServeHTTP(w, r)
			return
		}
		switch {
		case p == "/v1" || strings.HasPrefix(p, "/v1/"):
			controlPlane.ServeHTTP(w, r)
		case dataPlane(r.URL.Path):
			name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
			formats[name].Error(w, apierr.New(apierr.NotFound,
				"%s is not a path of this repository: paths with '.', '..' or empty segments are not served.", r.URL.Path))
		default:
			notFound(w, r)
		}
	})
}

// isClean reports whether ServeMux would leave p as it is: rooted, without
// "." or ".." segments or empty ones (a trailing slash is kept).
func isClean(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}
