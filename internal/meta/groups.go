package meta

import (
	"context"
	"time"
)

// Package-group origin restriction types, as the model spells them.
const (
	RestrictPublish          = "PUBLISH"
	RestrictExternalUpstream = "EXTERNAL_UPSTREAM"
	RestrictInternalUpstream = "INTERNAL_UPSTREAM"
)

// RestrictionTypes lists the restriction types in the order arca shows them.
var RestrictionTypes = []string{RestrictExternalUpstream, RestrictInternalUpstream, RestrictPublish}

// Package-group origin restriction modes (Allow and Block are shared with
// package origin configuration).
const (
	AllowSpecificRepositories = "ALLOW_SPECIFIC_REPOSITORIES"
	Inherit                   = "INHERIT"
)

// RootGroupPattern is the pattern of the package group every domain has.
const RootGroupPattern = "/*"

// PackageGroup is a domain's package group. Pattern is its identity within
// the domain; Modes holds the origin restriction mode of each restriction
// type (RestrictPublish, …); a type absent from the map is INHERIT. The
// allowed-repository lists are rows of their own (see
// PackageGroupReader.ListPackageGroupRepositories).
type PackageGroup struct {
	ID          string
	DomainID    string
	Pattern     string
	Description string
	ContactInfo string
	CreatedTime time.Time
	Modes       map[string]string
}

// Mode returns the mode of restriction type typ (INHERIT when unset).
func (g *PackageGroup) Mode(typ string) string {
	if m := g.Modes[typ]; m != "" {
		return m
	}
	return Inherit
}

// PackageGroupFilter selects package groups of one domain.
type PackageGroupFilter struct {
	DomainID      string
	PatternPrefix string // case-sensitive prefix of the pattern; "" = all
}

// PackageGroupReader reads package groups.
type PackageGroupReader interface {
	// GetPackageGroup returns a group by its pattern; NotFound if absent.
	GetPackageGroup(ctx context.Context, domainID, pattern string) (*PackageGroup, error)
	// ListPackageGroups lists matching groups ordered by pattern.
	ListPackageGroups(ctx context.Context, f PackageGroupFilter, opt ListOptions) ([]PackageGroup, string, error)
	// ListPackageGroupRepositories lists the repository names on a group's
	// allowed-repository list of one restriction type, ordered by name.
	ListPackageGroupRepositories(ctx context.Context, groupID, typ string, opt ListOptions) ([]string, string, error)
	// CountPackageGroupRepositories returns the length of each of a group's
	// allowed-repository lists, by restriction type (absent: 0).
	CountPackageGroupRepositories(ctx context.Context, groupID string) (map[string]int64, error)
	// PackageGroupsVersion returns a number that changes whenever a group
	// of the domain, or one of its allowed-repository lists, changes (0 for
	// a domain whose groups never changed). Readers cache what they derive
	// from the groups under it.
	PackageGroupsVersion(ctx context.Context, domainID string) (int64, error)
}

// PackageGroupWriter changes package groups; only available inside
// Store.Update. Every method changes the domain's PackageGroupsVersion.
type PackageGroupWriter interface {
	// InsertPackageGroup adds g; Conflict if (DomainID, Pattern) exists,
	// NotFound if the domain is absent.
	InsertPackageGroup(ctx context.Context, g *PackageGroup) error
	// UpdatePackageGroup stores g's Description, ContactInfo and Modes;
	// NotFound if absent.
	UpdatePackageGroup(ctx context.Context, g *PackageGroup) error
	// DeletePackageGroup removes a group and its allowed-repository lists
	// (absent: no-op).
	DeletePackageGroup(ctx context.Context, id string) error
	// AddPackageGroupRepositories puts names on a group's allowed list of
	// restriction type typ (names already there stay).
	AddPackageGroupRepositories(ctx context.Context, groupID, typ string, names []string) error
	// RemovePackageGroupRepositories takes names off a group's allowed list
	// of restriction type typ (names not there are ignored).
	RemovePackageGroupRepositories(ctx context.Context, groupID, typ string, names []string) error
}
