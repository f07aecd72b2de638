package pkgsvc

import (
	"context"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/meta"
)

// MaxExternalConnections is CodeArtifact's limit of external connections per
// repository.
const MaxExternalConnections = 1

// AssociateExternalConnection adds one of CodeArtifact's external connections
// (external.All) to a repository. A repository has at most one; a second is
// refused as CodeArtifact refuses it (a ValidationException saying the limit
// is 1). A connection whose upstream URL is not configured (no compiled-in
// default, no setting) is refused with the variable that sets it.
func (s *Service) AssociateExternalConnection(ctx context.Context, caller auth.Principal, domainOwner, domain, name, connection string) (*meta.Repository, error) {
	conn, err := knownConnection(connection)
	if err != nil {
		return nil, err
	}
	if _, ok := s.externalURLs[conn.Name]; !ok {
		return nil, apierr.Invalid("External connection '%s' has no upstream URL on this arca server: set %s (or external_connections in the config file) and restart it.",
			conn.Name, external.EnvVar(conn.Name))
	}
	var r *meta.Repository
	err = s.meta.Update(ctx, func(tx meta.Tx) error {
		if _, r, err = s.repository(ctx, tx, owner(domainOwner, caller.Account), domain, name); err != nil {
			return err
		}
		if r.ExternalConnection != "" {
			return apierr.Invalid("ExternalConnections for repositories are currently limited to %d: repository '%s' already has '%s'.",
				MaxExternalConnections, name, r.ExternalConnection)
		}
		r.ExternalConnection = conn.Name
		return tx.UpdateRepository(ctx, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DisassociateExternalConnection removes a repository's external connection;
// a connection the repository does not have is a ResourceNotFoundException.
// Versions already retained through it stay.
func (s *Service) DisassociateExternalConnection(ctx context.Context, caller auth.Principal, domainOwner, domain, name, connection string) (*meta.Repository, error) {
	conn, err := knownConnection(connection)
	if err != nil {
		return nil, err
	}
	var r *meta.Repository
	err = s.meta.Update(ctx, func(tx meta.Tx) error {
		if _, r, err = s.repository(ctx, tx, owner(domainOwner, caller.Account), domain, name); err != nil {
			return err
		}
		if r.ExternalConnection != conn.Name {
			return apierr.New(apierr.NotFound, "External connection '%s' is not associated with repository '%s' in domain '%s'.",
				conn.Name, name, domain)
		}
		r.ExternalConnection = ""
		return tx.UpdateRepository(ctx, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// knownConnection refuses names that are not one of CodeArtifact's external
// connections, listing the ones that are.
func knownConnection(name string) (external.Connection, error) {
	c, ok := external.Lookup(name)
	if !ok {
		var names []string
		for _, c := range external.All() {
			names = append(names, c.Name)
		}
		return c, apierr.Invalid("1 validation error detected: Value '%s' at 'externalConnection' failed to satisfy constraint: Member must be one of: %s",
			name, strings.Join(names, ", "))
	}
	return c, nil
}
