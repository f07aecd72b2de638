package api

import (
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// The ten package group operations. CreatePackageGroup and
// UpdatePackageGroup carry the pattern in the body (packageGroup); every
// other one in the query (package-group).

type groupReference struct {
	Arn     string `json:"arn"`
	Pattern string `json:"pattern"`
}

type groupRestriction struct {
	Mode              string          `json:"mode"`
	EffectiveMode     string          `json:"effectiveMode"`
	InheritedFrom     *groupReference `json:"inheritedFrom,omitempty"`
	RepositoriesCount int64           `json:"repositoriesCount"`
}

type groupOriginConfiguration struct {
	Restrictions map[string]groupRestriction `json:"restrictions"`
}

// groupDescription is PackageGroupDescription; PackageGroupSummary has the
// same members.
type groupDescription struct {
	Arn                 string                   `json:"arn"`
	Pattern             string                   `json:"pattern"`
	DomainName          string                   `json:"domainName"`
	DomainOwner         string                   `json:"domainOwner"`
	CreatedTime         *epoch                   `json:"createdTime,omitempty"`
	ContactInfo         string                   `json:"contactInfo,omitempty"`
	Description         string                   `json:"description,omitempty"`
	OriginConfiguration groupOriginConfiguration `json:"originConfiguration"`
	Parent              *groupReference          `json:"parent,omitempty"`
}

func (h *Handler) groupRef(d *meta.Domain, pattern string) *groupReference {
	if pattern == "" {
		return nil
	}
	return &groupReference{Arn: h.svc.PackageGroupARN(d.Owner, d.Name, pattern), Pattern: pattern}
}

func (h *Handler) groupDescription(g *pkgsvc.GroupDescription) groupDescription {
	d := g.Domain
	out := groupDescription{Arn: h.svc.PackageGroupARN(d.Owner, d.Name, g.Group.Pattern), Pattern: g.Group.Pattern,
		DomainName: d.Name, DomainOwner: d.Owner, CreatedTime: ts(g.Group.CreatedTime), ContactInfo: g.Group.ContactInfo,
		Description: g.Group.Description, Parent: h.groupRef(d, g.Parent),
		OriginConfiguration: groupOriginConfiguration{Restrictions: map[string]groupRestriction{}}}
	for typ, r := range g.Restrictions {
		gr := groupRestriction{Mode: r.Mode, EffectiveMode: r.EffectiveMode, RepositoriesCount: r.RepositoriesCount}
		if r.InheritedFrom != "" {
			gr.InheritedFrom = h.groupRef(d, r.InheritedFrom)
		}
		out.OriginConfiguration.Restrictions[typ] = gr
	}
	return out
}

func (h *Handler) groupList(op string, gs []pkgsvc.GroupDescription, next string) map[string]any {
	out := make([]groupDescription, len(gs))
	for i := range gs {
		out[i] = h.groupDescription(&gs[i])
	}
	return map[string]any{"packageGroups": out, "nextToken": pageToken(op, next)}
}

type allowedRepository struct {
	RepositoryName        string `json:"repositoryName"`
	OriginRestrictionType string `json:"originRestrictionType"`
}

func changesIn(rs []allowedRepository) []pkgsvc.GroupRepositoryChange {
	out := make([]pkgsvc.GroupRepositoryChange, len(rs))
	for i, r := range rs {
		out[i] = pkgsvc.GroupRepositoryChange{Repository: r.RepositoryName, RestrictionType: r.OriginRestrictionType}
	}
	return out
}

var packageGroupOps = map[string]handlerFunc{
	"CreatePackageGroup": func(h *Handler, c *call) (any, error) {
		var body struct {
			PackageGroup string `json:"packageGroup"`
			ContactInfo  string `json:"contactInfo"`
			Description  string `json:"description"`
			Tags         []tag  `json:"tags"`
		}
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		g, err := h.svc.CreatePackageGroup(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"), body.PackageGroup,
			body.ContactInfo, body.Description, tagsIn(body.Tags))
		if err != nil {
			return nil, err
		}
		return map[string]any{"packageGroup": h.groupDescription(g)}, nil
	},
	"DescribePackageGroup": func(h *Handler, c *call) (any, error) {
		g, err := h.svc.DescribePackageGroup(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"), c.in.S("packageGroup"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"packageGroup": h.groupDescription(g)}, nil
	},
	"UpdatePackageGroup": func(h *Handler, c *call) (any, error) {
		var body struct {
			PackageGroup string  `json:"packageGroup"`
			ContactInfo  *string `json:"contactInfo"`
			Description  *string `json:"description"`
		}
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		g, err := h.svc.UpdatePackageGroup(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"), body.PackageGroup,
			body.ContactInfo, body.Description)
		if err != nil {
			return nil, err
		}
		return map[string]any{"packageGroup": h.groupDescription(g)}, nil
	},
	"UpdatePackageGroupOriginConfiguration": func(h *Handler, c *call) (any, error) {
		var body struct {
			Restrictions              map[string]string   `json:"restrictions"`
			AddAllowedRepositories    []allowedRepository `json:"addAllowedRepositories"`
			RemoveAllowedRepositories []allowedRepository `json:"removeAllowedRepositories"`
		}
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		g, updates, err := h.svc.UpdatePackageGroupOriginConfiguration(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"),
			c.in.S("packageGroup"), body.Restrictions, changesIn(body.AddAllowedRepositories), changesIn(body.RemoveAllowedRepositories))
		if err != nil {
			return nil, err
		}
		return map[string]any{"packageGroup": h.groupDescription(g), "allowedRepositoryUpdates": updates}, nil
	},
	"DeletePackageGroup": func(h *Handler, c *call) (any, error) {
		g, err := h.svc.DeletePackageGroup(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"), c.in.S("packageGroup"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"packageGroup": h.groupDescription(g)}, nil
	},
	"ListPackageGroups": func(h *Handler, c *call) (any, error) {
		opt, err := c.listOptions()
		if err != nil {
			return nil, err
		}
		gs, next, err := h.svc.ListPackageGroups(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"), c.in.S("prefix"), opt)
		if err != nil {
			return nil, err
		}
		return h.groupList("ListPackageGroups", gs, next), nil
	},
	"ListSubPackageGroups": func(h *Handler, c *call) (any, error) {
		opt, err := c.listOptions()
		if err != nil {
			return nil, err
		}
		gs, next, err := h.svc.ListSubPackageGroups(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"), c.in.S("packageGroup"), opt)
		if err != nil {
			return nil, err
		}
		return h.groupList("ListSubPackageGroups", gs, next), nil
	},
	"ListAssociatedPackages": func(h *Handler, c *call) (any, error) {
		opt, err := c.listOptions()
		if err != nil {
			return nil, err
		}
		ps, next, err := h.svc.ListAssociatedPackages(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"), c.in.S("packageGroup"),
			c.in.B("preview"), opt)
		if err != nil {
			return nil, err
		}
		type associatedPackage struct {
			Format          string `json:"format"`
			Namespace       string `json:"namespace,omitempty"`
			Package         string `json:"package"`
			AssociationType string `json:"associationType"`
		}
		out := make([]associatedPackage, len(ps))
		for i, p := range ps {
			out[i] = associatedPackage{Format: p.Format, Namespace: p.Namespace, Package: p.Name, AssociationType: p.Association}
		}
		return map[string]any{"packages": out, "nextToken": pageToken("ListAssociatedPackages", next)}, nil
	},
	"ListAllowedRepositoriesForGroup": func(h *Handler, c *call) (any, error) {
		opt, err := c.listOptions()
		if err != nil {
			return nil, err
		}
		names, next, err := h.svc.ListAllowedRepositoriesForGroup(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"),
			c.in.S("packageGroup"), c.in.S("originRestrictionType"), opt)
		if err != nil {
			return nil, err
		}
		return map[string]any{"allowedRepositories": names, "nextToken": pageToken("ListAllowedRepositoriesForGroup", next)}, nil
	},
	"GetAssociatedPackageGroup": func(h *Handler, c *call) (any, error) {
		g, assoc, err := h.svc.GetAssociatedPackageGroup(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"),
			c.in.S("format"), c.in.S("namespace"), c.in.S("package"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"packageGroup": h.groupDescription(g), "associationType": assoc}, nil
	},
}
