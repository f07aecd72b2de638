package pkgsvc

import (
	"context"
	"sync"
	"time"

	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkggroup"
)

// groupCache keeps the compiled package groups of each domain (the
// pkggroup.Tree and the group rows), so that the check on every entry path
// (publish, copy, retention, ingestion) costs no query in the common case.
//
// An entry is valid for the domain's PackageGroupsVersion it was read at
// (a counter every write of a group or allowed list increments). How often
// the counter is read depends on the store:
//   - SQLite (meta.Generationer): one process writes the database, so an
//     entry is current while the store's generation is unchanged; after any
//     commit, the counter (one point read) says whether groups changed.
//   - PostgreSQL: other nodes write too, so the counter is read again when
//     the entry was last confirmed more than groupRecheck ago. A change made
//     on another node is seen within that second; one made on this node at
//     once, since the writer drops its own entry. The store's generation
//     (meta.Staleness: it follows other nodes' commits) also confirms an
//     entry, but every publish anywhere changes it, so the time-based
//     confirmation keeps publishes from re-reading the counter each time.
type groupCache struct {
	mu      sync.Mutex
	entries map[string]*groupSet // by domain ID
}

// groupRecheck bounds how stale a PostgreSQL node's groups may be.
const groupRecheck = time.Second

// maxGroupCache bounds the number of domains cached.
const maxGroupCache = 1024

// groupSet is the compiled groups of one domain at one version. Its
// allowed-repository lists are loaded on first use.
type groupSet struct {
	domainID string
	version  int64
	tree     *pkggroup.Tree
	groups   map[string]*meta.PackageGroup // by pattern; the root is always present

	// Validity bookkeeping, under groupCache.mu.
	gen     uint64
	checked time.Time

	mu      sync.Mutex
	allowed map[allowedKey]map[string]bool
}

type allowedKey struct{ groupID, typ string }

// domainGroups returns the current compiled groups of domain d.
func (s *Service) domainGroups(ctx context.Context, d *meta.Domain) (*groupSet, error) {
	g, isGen := s.meta.(meta.Generationer)
	var gen uint64
	if isGen {
		gen = structureGen(g) // read before the store: a racing write makes the entry stale
	}
	now := time.Now()
	s.groups.mu.Lock()
	e := s.groups.entries[d.ID]
	_, shared := s.meta.(meta.Staleness)
	if e != nil && (isGen && e.gen == gen || (!isGen || shared) && now.Sub(e.checked) < groupRecheck) {
		s.groups.mu.Unlock()
		return e, nil
	}
	s.groups.mu.Unlock()
	version, err := s.meta.PackageGroupsVersion(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	if e == nil || e.version != version {
		if e, err = s.loadGroups(ctx, d.ID, version); err != nil {
			return nil, err
		}
	}
	s.groups.mu.Lock()
	defer s.groups.mu.Unlock()
	if s.groups.entries == nil || len(s.groups.entries) >= maxGroupCache {
		s.groups.entries = map[string]*groupSet{}
	}
	if cur := s.groups.entries[d.ID]; cur != nil && cur.version > e.version {
		return cur, nil // a newer load won the race
	}
	e.gen, e.checked = gen, now
	s.groups.entries[d.ID] = e
	return e, nil
}

// forgetGroups drops the cached groups of a domain after this node changed
// them, so its next request sees the change at once.
func (s *Service) forgetGroups(domainID string) {
	s.groups.mu.Lock()
	delete(s.groups.entries, domainID)
	s.groups.mu.Unlock()
}

// loadGroups reads and compiles every group of a domain. A domain created
// before groups existed, or copied by arca migrate, may lack its root row:
// the root is then the default one (everything allowed).
func (s *Service) loadGroups(ctx context.Context, domainID string, version int64) (*groupSet, error) {
	e := &groupSet{domainID: domainID, version: version, groups: map[string]*meta.PackageGroup{},
		allowed: map[allowedKey]map[string]bool{}}
	opt := meta.ListOptions{Limit: 1000}
	var patterns []string
	for {
		page, next, err := s.meta.ListPackageGroups(ctx, meta.PackageGroupFilter{DomainID: domainID}, opt)
		if err != nil {
			return nil, err
		}
		for i := range page {
			g := page[i]
			e.groups[g.Pattern] = &g
			patterns = append(patterns, g.Pattern)
		}
		if next == "" {
			break
		}
		opt.After = next
	}
	if e.groups[pkggroup.Root] == nil {
		e.groups[pkggroup.Root] = defaultRoot(domainID, time.Time{})
	}
	tree, err := pkggroup.NewTree(patterns)
	if err != nil {
		return nil, err
	}
	e.tree = tree
	return e, nil
}

// defaultRoot is the root group as a domain gets it.
func defaultRoot(domainID string, created time.Time) *meta.PackageGroup {
	return &meta.PackageGroup{ID: newID(), DomainID: domainID, Pattern: pkggroup.Root, CreatedTime: created,
		Modes: map[string]string{meta.RestrictPublish: meta.Allow, meta.RestrictExternalUpstream: meta.Allow,
			meta.RestrictInternalUpstream: meta.Allow}}
}

// effective resolves the mode of restriction typ for the group of pattern:
// its own mode, or (INHERIT) the first ancestor's that is not INHERIT. It
// returns the mode and the group that set it.
func (e *groupSet) effective(pattern, typ string) (string, *meta.PackageGroup) {
	return e.effectiveFrom(e.tree, pattern, typ)
}

// groupAllows reports whether repository repo is on group g's allowed list of
// restriction typ, loading the list on first use.
func (s *Service) groupAllows(ctx context.Context, e *groupSet, g *meta.PackageGroup, typ, repo string) (bool, error) {
	k := allowedKey{g.ID, typ}
	e.mu.Lock()
	set, ok := e.allowed[k]
	e.mu.Unlock()
	if !ok {
		set = map[string]bool{}
		opt := meta.ListOptions{Limit: 1000}
		for {
			page, next, err := s.meta.ListPackageGroupRepositories(ctx, g.ID, typ, opt)
			if err != nil {
				return false, err
			}
			for _, n := range page {
				set[n] = true
			}
			if next == "" {
				break
			}
			opt.After = next
		}
		e.mu.Lock()
		e.allowed[k] = set
		e.mu.Unlock()
	}
	return set[repo], nil
}
