// Package format defines what a package format plugs into the data plane:
// a Handler that serves the client protocol below one repository's endpoint
// (PUBLIC_URL/FORMAT/d/DOMAIN-OWNER/REPO/). The data plane authenticates
// the caller and resolves the repository before a Handler runs; handlers
// call the service layer and render errors in their client's dialect.
// Each format lives in a sub-package named as the API's format enum.
package format

import (
	"net/http"

	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// Request is one authenticated request to a repository endpoint.
type Request struct {
	W          http.ResponseWriter
	R          *http.Request
	Caller     auth.Principal
	Domain     *meta.Domain
	Repository *meta.Repository
	// Path is what follows the repository endpoint, without a leading
	// slash ("" for the endpoint itself).
	Path string
	// Authorize checks that Caller may perform action (e.g.
	// codeartifact:PublishPackageVersion) on resource (a package ARN), and
	// returns the AccessDeniedException to render otherwise. Reads of the
	// repository (codeartifact:ReadFromRepository) are checked before a
	// handler runs.
	Authorize func(action, resource string) error
}

// Handler serves one format's client protocol.
type Handler interface {
	// ServeRepository answers req; it writes every response itself.
	ServeRepository(req *Request)
	// Unauthorized writes the format's "authentication required" answer.
	Unauthorized(w http.ResponseWriter, message string)
	// Error writes err in the format's dialect.
	Error(w http.ResponseWriter, err error)
}

// Repo is the request's repository as the service addresses it.
func (r *Request) Repo() pkgsvc.Repo {
	return pkgsvc.Repo{Domain: r.Domain, Repository: r.Repository}
}
