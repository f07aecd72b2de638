package pkgsvc

import (
	"context"
	"sort"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkggroup"
)

// Package groups: the ten operations (see docs/package-groups.md). A group
// is identified by its pattern's canonical text (pkggroup.Pattern.String);
// its parent and children follow from the patterns (pkggroup.Tree), so
// deleting a group re-parents its children without touching them.

// GroupRestriction is one origin restriction of a group as the API shows
// it: the group's own mode, the mode in force (EffectiveMode, resolved up
// the parents for INHERIT, InheritedFrom naming the group it came from) and
// the length of the group's allowed-repository list of that type.
type GroupRestriction struct {
	Mode, EffectiveMode string
	InheritedFrom       string // pattern; "" unless Mode is INHERIT
	RepositoriesCount   int64
}

// GroupDescription is a package group with what the API derives for it.
type GroupDescription struct {
	Domain       *meta.Domain
	Group        meta.PackageGroup
	Parent       string // pattern of the parent group; "" for the root
	Restrictions map[string]GroupRestriction
}

// GroupRepositoryUpdates is what UpdatePackageGroupOriginConfiguration
// changed: restriction type → "ADDED" | "REMOVED" → repository names.
type GroupRepositoryUpdates map[string]map[string][]string

// AssociatedPackage is a package and the strength of its association.
type AssociatedPackage struct {
	Format, Namespace, Name string
	Association             string // STRONG | WEAK
}

// PackageGroupARN is a package group's ARN: the IAM reference's
// package-group/${DomainName}${EncodedPackageGroupPattern} (the pattern
// starts with the slash that separates it from the domain).
func (s *Service) PackageGroupARN(owner, domain, pattern string) string {
	return "arn:aws:codeartifact:" + s.region + ":" + owner + ":package-group/" + domain + EncodeGroupPattern(pattern)
}

// EncodeGroupPattern percent-encodes the bytes of a pattern that an ARN
// cannot carry plainly (":" separates ARN fields, "?" "#" "%" and
// non-ASCII would be ambiguous in policies and logs); slashes and the
// suffixes * ~ $ stay as written, so /npm/space/* reads as itself.
func EncodeGroupPattern(p string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/*~$-._@+!", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// decodeGroupPattern reverses EncodeGroupPattern.
func decodeGroupPattern(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		v, ok := unhex(s[i+1], s[i+2])
		if !ok {
			return "", false
		}
		b.WriteByte(v)
		i += 2
	}
	return b.String(), true
}

func unhex(a, b byte) (byte, bool) {
	d := func(c byte) (byte, bool) {
		switch {
		case c >= '0' && c <= '9':
			return c - '0', true
		case c >= 'a' && c <= 'f':
			return c - 'a' + 10, true
		case c >= 'A' && c <= 'F':
			return c - 'A' + 10, true
		}
		return 0, false
	}
	x, ok1 := d(a)
	y, ok2 := d(b)
	return x<<4 | y, ok1 && ok2
}

// canonicalPattern parses a pattern a client sent (ValidationException with
// the reason when it is invalid) and returns its canonical text.
func canonicalPattern(s string) (string, error) {
	if err := checkText("package group", s); err != nil {
		return "", err
	}
	p, err := pkggroup.Parse(s)
	if err != nil {
		return "", err
	}
	return p.String(), nil
}

func missingGroup(pattern, domain string) error {
	return apierr.Missing("", pattern, "Package group '%s' not found in domain '%s'.", pattern, domain)
}

// groupDomain resolves the domain of a group operation and makes sure its
// root group is stored (a domain copied by arca migrate may lack it).
func (s *Service) groupDomain(ctx context.Context, caller auth.Principal, domainOwner, domain string) (*meta.Domain, error) {
	d, err := s.domain(ctx, s.meta, owner(domainOwner, caller.Account), domain)
	if err != nil {
		return nil, err
	}
	if _, err := s.meta.GetPackageGroup(ctx, d.ID, pkggroup.Root); !apierr.Is(err, apierr.NotFound) {
		return d, err
	}
	err = s.meta.Update(ctx, func(tx meta.Tx) error { return ensureRoot(ctx, tx, d) })
	s.forgetGroups(d.ID)
	return d, err
}

// ensureRoot stores the root group of d if it is missing.
func ensureRoot(ctx context.Context, tx meta.Tx, d *meta.Domain) error {
	_, err := tx.GetPackageGroup(ctx, d.ID, pkggroup.Root)
	if !apierr.Is(err, apierr.NotFound) {
		return err
	}
	return tx.InsertPackageGroup(ctx, defaultRoot(d.ID, d.CreatedTime))
}

// getGroup reads a group by pattern inside a transaction or from the store.
func getGroup(ctx context.Context, r meta.PackageGroupReader, d *meta.Domain, pattern string) (*meta.PackageGroup, error) {
	g, err := r.GetPackageGroup(ctx, d.ID, pattern)
	if apierr.Is(err, apierr.NotFound) {
		return nil, missingGroup(pattern, d.Name)
	}
	return g, err
}

// CreatePackageGroup creates a group whose restrictions all INHERIT.
func (s *Service) CreatePackageGroup(ctx context.Context, caller auth.Principal, domainOwner, domain, pattern, contactInfo, description string, tags []meta.Tag) (*GroupDescription, error) {
	pattern, err := canonicalPattern(pattern)
	if err != nil {
		return nil, err
	}
	if err := checkTexts(text{"contact info", contactInfo}, text{"description", description}); err != nil {
		return nil, err
	}
	d, err := s.groupDomain(ctx, caller, domainOwner, domain)
	if err != nil {
		return nil, err
	}
	g := &meta.PackageGroup{ID: newID(), DomainID: d.ID, Pattern: pattern, Description: description, ContactInfo: contactInfo,
		CreatedTime: s.now().UTC(), Modes: map[string]string{}}
	err = s.meta.Update(ctx, func(tx meta.Tx) error {
		if err := tx.InsertPackageGroup(ctx, g); err != nil {
			if apierr.Is(err, apierr.Conflict) {
				return apierr.Conflicting("", pattern, "Package group '%s' already exists in domain '%s'.", pattern, d.Name)
			}
			return err
		}
		return putTags(ctx, tx, s.PackageGroupARN(d.Owner, d.Name, pattern), tags)
	})
	s.forgetGroups(d.ID)
	if err != nil {
		return nil, err
	}
	return s.describeGroup(ctx, d, g)
}

// DescribePackageGroup returns a group.
func (s *Service) DescribePackageGroup(ctx context.Context, caller auth.Principal, domainOwner, domain, pattern string) (*GroupDescription, error) {
	pattern, err := canonicalPattern(pattern)
	if err != nil {
		return nil, err
	}
	d, err := s.groupDomain(ctx, caller, domainOwner, domain)
	if err != nil {
		return nil, err
	}
	g, err := getGroup(ctx, s.meta, d, pattern)
	if err != nil {
		return nil, err
	}
	return s.describeGroup(ctx, d, g)
}

// UpdatePackageGroup changes a group's contact information and description
// (nil leaves one as it is).
func (s *Service) UpdatePackageGroup(ctx context.Context, caller auth.Principal, domainOwner, domain, pattern string, contactInfo, description *string) (*GroupDescription, error) {
	pattern, err := canonicalPattern(pattern)
	if err != nil {
		return nil, err
	}
	for _, t := range []struct {
		what string
		v    *string
	}{{"contact info", contactInfo}, {"description", description}} {
		if t.v != nil {
			if err := checkText(t.what, *t.v); err != nil {
				return nil, err
			}
		}
	}
	d, err := s.groupDomain(ctx, caller, domainOwner, domain)
	if err != nil {
		return nil, err
	}
	var g *meta.PackageGroup
	err = s.meta.Update(ctx, func(tx meta.Tx) error {
		if g, err = getGroup(ctx, tx, d, pattern); err != nil {
			return err
		}
		if contactInfo != nil {
			g.ContactInfo = *contactInfo
		}
		if description != nil {
			g.Description = *description
		}
		return tx.UpdatePackageGroup(ctx, g)
	})
	s.forgetGroups(d.ID)
	if err != nil {
		return nil, err
	}
	return s.describeGroup(ctx, d, g)
}

// GroupRepositoryChange is one entry of add/removeAllowedRepositories.
type GroupRepositoryChange struct {
	Repository, RestrictionType string
}

// UpdatePackageGroupOriginConfiguration sets restriction modes and edits
// allowed-repository lists. The root group cannot INHERIT (it has no
// parent); a repository added to a list must exist in the domain.
func (s *Service) UpdatePackageGroupOriginConfiguration(ctx context.Context, caller auth.Principal, domainOwner, domain, pattern string,
	modes map[string]string, add, remove []GroupRepositoryChange) (*GroupDescription, GroupRepositoryUpdates, error) {
	pattern, err := canonicalPattern(pattern)
	if err != nil {
		return nil, nil, err
	}
	for typ, m := range modes {
		if !validRestrictionType(typ) {
			return nil, nil, apierr.Invalid("Unknown origin restriction type '%s'; valid types are EXTERNAL_UPSTREAM, INTERNAL_UPSTREAM and PUBLISH.", typ)
		}
		switch m {
		case meta.Allow, meta.Block, meta.AllowSpecificRepositories:
		case meta.Inherit:
			if pattern == pkggroup.Root {
				return nil, nil, apierr.Invalid("The root package group %s has no parent to inherit %s from; set ALLOW, BLOCK or ALLOW_SPECIFIC_REPOSITORIES.", pkggroup.Root, typ)
			}
		default:
			return nil, nil, apierr.Invalid("Unknown origin restriction mode '%s' for %s.", m, typ)
		}
	}
	for _, c := range append(append([]GroupRepositoryChange(nil), add...), remove...) {
		if !validRestrictionType(c.RestrictionType) {
			return nil, nil, apierr.Invalid("Unknown origin restriction type '%s'.", c.RestrictionType)
		}
		if err := checkText("repository name", c.Repository); err != nil {
			return nil, nil, err
		}
	}
	d, err := s.groupDomain(ctx, caller, domainOwner, domain)
	if err != nil {
		return nil, nil, err
	}
	var g *meta.PackageGroup
	var updates GroupRepositoryUpdates
	err = s.meta.Update(ctx, func(tx meta.Tx) error {
		updates = GroupRepositoryUpdates{}
		if g, err = getGroup(ctx, tx, d, pattern); err != nil {
			return err
		}
		if len(modes) > 0 {
			nm := map[string]string{}
			for _, typ := range meta.RestrictionTypes {
				nm[typ] = g.Mode(typ)
			}
			for typ, m := range modes {
				nm[typ] = m
			}
			g.Modes = nm
			if err := tx.UpdatePackageGroup(ctx, g); err != nil {
				return err
			}
		}
		for _, c := range add {
			if _, err := tx.GetRepository(ctx, d.ID, c.Repository); apierr.Is(err, apierr.NotFound) {
				return apierr.Missing(apierr.ResRepository, c.Repository, "Repository '%s' not found in domain '%s'.", c.Repository, d.Name)
			} else if err != nil {
				return err
			}
		}
		for _, step := range []struct {
			changes []GroupRepositoryChange
			kind    string
			apply   func(ctx context.Context, groupID, typ string, names []string) error
		}{{add, "ADDED", tx.AddPackageGroupRepositories}, {remove, "REMOVED", tx.RemovePackageGroupRepositories}} {
			byType := map[string][]string{}
			for _, c := range step.changes {
				if !contains(byType[c.RestrictionType], c.Repository) {
					byType[c.RestrictionType] = append(byType[c.RestrictionType], c.Repository)
				}
			}
			for typ, names := range byType {
				if err := step.apply(ctx, g.ID, typ, names); err != nil {
					return err
				}
				if updates[typ] == nil {
					updates[typ] = map[string][]string{}
				}
				updates[typ][step.kind] = names
			}
		}
		return nil
	})
	s.forgetGroups(d.ID)
	if err != nil {
		return nil, nil, err
	}
	desc, err := s.describeGroup(ctx, d, g)
	return desc, updates, err
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func validRestrictionType(typ string) bool {
	return typ == meta.RestrictPublish || typ == meta.RestrictExternalUpstream || typ == meta.RestrictInternalUpstream
}

// DeletePackageGroup deletes a group (never the root) and its tags. Its
// packages and sub-groups stay: they now belong to its parent.
func (s *Service) DeletePackageGroup(ctx context.Context, caller auth.Principal, domainOwner, domain, pattern string) (*GroupDescription, error) {
	pattern, err := canonicalPattern(pattern)
	if err != nil {
		return nil, err
	}
	if pattern == pkggroup.Root {
		return nil, apierr.Invalid("The root package group %s cannot be deleted.", pkggroup.Root)
	}
	d, err := s.groupDomain(ctx, caller, domainOwner, domain)
	if err != nil {
		return nil, err
	}
	g, err := getGroup(ctx, s.meta, d, pattern)
	if err != nil {
		return nil, err
	}
	desc, err := s.describeGroup(ctx, d, g) // as it was, with its parent
	if err != nil {
		return nil, err
	}
	err = s.meta.Update(ctx, func(tx meta.Tx) error {
		if g, err = getGroup(ctx, tx, d, pattern); err != nil {
			return err
		}
		if err := tx.DeletePackageGroup(ctx, g.ID); err != nil {
			return err
		}
		return tx.DeleteTags(ctx, s.PackageGroupARN(d.Owner, d.Name, pattern), nil)
	})
	s.forgetGroups(d.ID)
	if err != nil {
		return nil, err
	}
	return desc, nil
}

// ListPackageGroups lists a domain's groups whose pattern starts with
// prefix, ordered by pattern.
func (s *Service) ListPackageGroups(ctx context.Context, caller auth.Principal, domainOwner, domain, prefix string, opt meta.ListOptions) ([]GroupDescription, string, error) {
	if err := checkText("prefix", prefix); err != nil {
		return nil, "", err
	}
	d, err := s.groupDomain(ctx, caller, domainOwner, domain)
	if err != nil {
		return nil, "", err
	}
	gs, next, err := s.meta.ListPackageGroups(ctx, meta.PackageGroupFilter{DomainID: d.ID, PatternPrefix: prefix}, opt)
	if err != nil {
		return nil, "", err
	}
	out, err := s.describeGroups(ctx, d, gs)
	return out, next, err
}

// ListSubPackageGroups lists the direct children of a group, ordered by
// pattern; the cursor is the last pattern returned.
func (s *Service) ListSubPackageGroups(ctx context.Context, caller auth.Principal, domainOwner, domain, pattern string, opt meta.ListOptions) ([]GroupDescription, string, error) {
	pattern, err := canonicalPattern(pattern)
	if err != nil {
		return nil, "", err
	}
	d, err := s.groupDomain(ctx, caller, domainOwner, domain)
	if err != nil {
		return nil, "", err
	}
	if _, err := getGroup(ctx, s.meta, d, pattern); err != nil {
		return nil, "", err
	}
	set, err := s.domainGroups(ctx, d)
	if err != nil {
		return nil, "", err
	}
	var gs []meta.PackageGroup
	next := ""
	for _, c := range set.tree.Children(pattern) {
		if c <= opt.After && opt.After != "" {
			continue
		}
		if len(gs) == opt.Limit {
			next = gs[len(gs)-1].Pattern
			break
		}
		if g := set.groups[c]; g != nil {
			gs = append(gs, *g)
		}
	}
	out, err := s.describeGroups(ctx, d, gs)
	return out, next, err
}

// ListAllowedRepositoriesForGroup lists a group's allowed-repository list
// of one restriction type, ordered by name.
func (s *Service) ListAllowedRepositoriesForGroup(ctx context.Context, caller auth.Principal, domainOwner, domain, pattern, typ string, opt meta.ListOptions) ([]string, string, error) {
	pattern, err := canonicalPattern(pattern)
	if err != nil {
		return nil, "", err
	}
	if !validRestrictionType(typ) {
		return nil, "", apierr.Invalid("Unknown origin restriction type '%s'.", typ)
	}
	d, err := s.groupDomain(ctx, caller, domainOwner, domain)
	if err != nil {
		return nil, "", err
	}
	g, err := getGroup(ctx, s.meta, d, pattern)
	if err != nil {
		return nil, "", err
	}
	names, next, err := s.meta.ListPackageGroupRepositories(ctx, g.ID, typ, opt)
	if names == nil && err == nil {
		names = []string{}
	}
	return names, next, err
}

// GetAssociatedPackageGroup returns the group a package (existing or not)
// belongs to, and how strongly.
func (s *Service) GetAssociatedPackageGroup(ctx context.Context, caller auth.Principal, domainOwner, domain, format, namespace, name string) (*GroupDescription, string, error) {
	name = formatrules.Of(format).Normalize(name)
	if err := checkTexts(text{"namespace", namespace}, text{"package name", name}); err != nil {
		return nil, "", err
	}
	d, err := s.groupDomain(ctx, caller, domainOwner, domain)
	if err != nil {
		return nil, "", err
	}
	set, err := s.domainGroups(ctx, d)
	if err != nil {
		return nil, "", err
	}
	pattern, strength := set.tree.Match(format, namespace, name)
	g := set.groups[pattern]
	if g == nil {
		return nil, "", missingGroup(pattern, d.Name)
	}
	desc, err := s.describeGroupIn(ctx, d, g, set)
	return desc, strength.String(), err
}

// AssociatedGroupPattern returns the pattern of the group a package
// belongs to (the resource IAM checks GetAssociatedPackageGroup against);
// the root when it cannot tell.
func (s *Service) AssociatedGroupPattern(ctx context.Context, owner, domain, format, namespace, name string) string {
	d, err := s.domain(ctx, s.meta, owner, domain)
	if err != nil {
		return pkggroup.Root
	}
	set, err := s.domainGroups(ctx, d)
	if err != nil {
		return pkggroup.Root
	}
	p, _ := set.tree.Match(format, namespace, formatrules.Of(format).Normalize(name))
	return p
}

// ListAssociatedPackages lists the packages of the domain (of any of its
// repositories, each coordinate once) that belong to a group, ordered by
// format, namespace and name. With preview the group need not exist: the
// list is the packages that would belong to it if it were created.
func (s *Service) ListAssociatedPackages(ctx context.Context, caller auth.Principal, domainOwner, domain, pattern string, preview bool, opt meta.ListOptions) ([]AssociatedPackage, string, error) {
	pattern, err := canonicalPattern(pattern)
	if err != nil {
		return nil, "", err
	}
	d, err := s.groupDomain(ctx, caller, domainOwner, domain)
	if err != nil {
		return nil, "", err
	}
	set, err := s.domainGroups(ctx, d)
	if err != nil {
		return nil, "", err
	}
	tree := set.tree
	if !tree.Has(pattern) {
		if _, err := getGroup(ctx, s.meta, d, pattern); err == nil {
			set, err = s.loadGroups(ctx, d.ID, set.version) // created on another node within the last second
			if err != nil {
				return nil, "", err
			}
			tree = set.tree
		} else if !preview {
			return nil, "", err
		} else if tree, err = tree.With(pattern); err != nil {
			return nil, "", err
		}
	}
	seen := map[string]bool{}
	var all []AssociatedPackage
	ropt := meta.ListOptions{Limit: 1000}
	for {
		repos, next, err := s.meta.ListRepositories(ctx, meta.RepositoryFilter{DomainID: d.ID}, ropt)
		if err != nil {
			return nil, "", err
		}
		for _, r := range repos {
			popt := meta.ListOptions{Limit: 1000}
			for {
				ps, pnext, err := s.meta.ListPackages(ctx, meta.PackageFilter{RepositoryID: r.ID}, popt)
				if err != nil {
					return nil, "", err
				}
				for _, p := range ps {
					key := associatedKey(p.Format, p.Namespace, p.Name)
					if seen[key] {
						continue
					}
					seen[key] = true
					if got, st := tree.Match(p.Format, p.Namespace, p.Name); got == pattern {
						all = append(all, AssociatedPackage{Format: p.Format, Namespace: p.Namespace, Name: p.Name, Association: st.String()})
					}
				}
				if pnext == "" {
					break
				}
				popt.After = pnext
			}
		}
		if next == "" {
			break
		}
		ropt.After = next
	}
	sort.Slice(all, func(i, j int) bool {
		return associatedKey(all[i].Format, all[i].Namespace, all[i].Name) < associatedKey(all[j].Format, all[j].Namespace, all[j].Name)
	})
	start := 0
	if opt.After != "" {
		start = sort.Search(len(all), func(i int) bool {
			return associatedKey(all[i].Format, all[i].Namespace, all[i].Name) > opt.After
		})
	}
	end := min(len(all), start+opt.Limit)
	page := all[start:end]
	next := ""
	if end < len(all) && len(page) > 0 {
		last := page[len(page)-1]
		next = associatedKey(last.Format, last.Namespace, last.Name)
	}
	if page == nil {
		page = []AssociatedPackage{}
	}
	return page, next, nil
}

// associatedKey orders associated packages and is their page cursor.
func associatedKey(format, namespace, name string) string {
	return format + "\x00" + namespace + "\x00" + name
}

// describeGroups describes several groups against one snapshot.
func (s *Service) describeGroups(ctx context.Context, d *meta.Domain, gs []meta.PackageGroup) ([]GroupDescription, error) {
	set, err := s.domainGroups(ctx, d)
	if err != nil {
		return nil, err
	}
	out := make([]GroupDescription, 0, len(gs))
	for i := range gs {
		desc, err := s.describeGroupIn(ctx, d, &gs[i], set)
		if err != nil {
			return nil, err
		}
		out = append(out, *desc)
	}
	return out, nil
}

func (s *Service) describeGroup(ctx context.Context, d *meta.Domain, g *meta.PackageGroup) (*GroupDescription, error) {
	set, err := s.domainGroups(ctx, d)
	if err != nil {
		return nil, err
	}
	return s.describeGroupIn(ctx, d, g, set)
}

// describeGroupIn derives a group's parent and effective restrictions from
// set (the domain's compiled groups). A group set does not hold yet (made
// on another node within the last second) is placed by a tree that adds it.
func (s *Service) describeGroupIn(ctx context.Context, d *meta.Domain, g *meta.PackageGroup, set *groupSet) (*GroupDescription, error) {
	tree := set.tree
	if !tree.Has(g.Pattern) {
		t, err := tree.With(g.Pattern)
		if err != nil {
			return nil, err
		}
		tree = t
	}
	counts, err := s.meta.CountPackageGroupRepositories(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	desc := &GroupDescription{Domain: d, Group: *g, Parent: tree.Parent(g.Pattern), Restrictions: map[string]GroupRestriction{}}
	for _, typ := range meta.RestrictionTypes {
		r := GroupRestriction{Mode: g.Mode(typ), EffectiveMode: g.Mode(typ), RepositoriesCount: counts[typ]}
		if r.Mode == meta.Inherit {
			r.EffectiveMode, r.InheritedFrom = meta.Allow, pkggroup.Root
			if m, from := set.effectiveFrom(tree, desc.Parent, typ); from != nil {
				r.EffectiveMode, r.InheritedFrom = m, from.Pattern
			}
		}
		desc.Restrictions[typ] = r
	}
	return desc, nil
}

// effectiveFrom is effective over tree (which may hold a group the set
// lacks).
func (e *groupSet) effectiveFrom(tree *pkggroup.Tree, pattern, typ string) (string, *meta.PackageGroup) {
	for p := pattern; p != ""; p = tree.Parent(p) {
		if g := e.groups[p]; g != nil {
			if m := g.Mode(typ); m != meta.Inherit {
				return m, g
			}
		}
	}
	return meta.Allow, e.groups[pkggroup.Root]
}

// resolveGroupARN checks that rest (what follows "package-group/" in an
// ARN: the domain name, then the encoded pattern) names an existing group.
func (s *Service) resolveGroupARN(ctx context.Context, r meta.Reader, owner, rest, arn string) error {
	i := strings.IndexByte(rest, '/')
	if i <= 0 {
		return apierr.Invalid("Invalid package group ARN '%s': expected package-group/DOMAIN/PATTERN.", arn)
	}
	pattern, ok := decodeGroupPattern(rest[i:])
	if !ok {
		return apierr.Invalid("Invalid package group ARN '%s': the pattern is not percent-encoded correctly.", arn)
	}
	pattern, err := canonicalPattern(pattern)
	if err != nil {
		return err
	}
	d, err := s.domain(ctx, r, owner, rest[:i])
	if err != nil {
		return err
	}
	if pattern == pkggroup.Root {
		return nil // every domain has it, stored or not
	}
	_, err = getGroup(ctx, r, d, pattern)
	return err
}

// deleteGroupTags removes the tags of every group of a domain being
// deleted (tags are keyed by ARN and do not cascade).
func (s *Service) deleteGroupTags(ctx context.Context, tx meta.Tx, d *meta.Domain) error {
	opt := meta.ListOptions{Limit: 1000}
	for {
		gs, next, err := tx.ListPackageGroups(ctx, meta.PackageGroupFilter{DomainID: d.ID}, opt)
		if err != nil {
			return err
		}
		for _, g := range gs {
			if err := tx.DeleteTags(ctx, s.PackageGroupARN(d.Owner, d.Name, g.Pattern), nil); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		opt.After = next
	}
}
