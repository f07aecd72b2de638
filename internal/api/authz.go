package api

import (
	"strings"

	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/pkggroup"
)

// scope is what kind of resource an operation acts on.
type scope int

const (
	scopeAccount      scope = iota // lists across domains: resource "*"
	scopeDomain                    // the domain
	scopeRepository                // a repository
	scopePackage                   // a package of a repository
	scopeTagged                    // the resourceArn member
	scopePackageGroup              // a package group of the domain
)

// opScopes classifies every operation of the model; a test checks that
// none is missing.
var opScopes = map[string]scope{
	"ListDomains": scopeAccount, "ListRepositories": scopeAccount,

	"CreateDomain": scopeDomain, "DescribeDomain": scopeDomain, "DeleteDomain": scopeDomain,
	"PutDomainPermissionsPolicy": scopeDomain, "GetDomainPermissionsPolicy": scopeDomain,
	"DeleteDomainPermissionsPolicy": scopeDomain, "GetAuthorizationToken": scopeDomain,
	"ListRepositoriesInDomain": scopeDomain, "ListPackageGroups": scopeDomain,

	// The IAM reference's package-group resource; CreatePackageGroup (no
	// resource type there) is checked against the group it creates, as
	// CreateRepository is against its repository.
	"CreatePackageGroup": scopePackageGroup, "DescribePackageGroup": scopePackageGroup,
	"UpdatePackageGroup": scopePackageGroup, "UpdatePackageGroupOriginConfiguration": scopePackageGroup,
	"DeletePackageGroup": scopePackageGroup, "ListSubPackageGroups": scopePackageGroup,
	"ListAssociatedPackages": scopePackageGroup, "ListAllowedRepositoriesForGroup": scopePackageGroup,
	"GetAssociatedPackageGroup": scopePackageGroup,

	"CreateRepository": scopeRepository, "DescribeRepository": scopeRepository,
	"UpdateRepository": scopeRepository, "DeleteRepository": scopeRepository,
	"PutRepositoryPermissionsPolicy": scopeRepository, "GetRepositoryPermissionsPolicy": scopeRepository,
	"DeleteRepositoryPermissionsPolicy": scopeRepository, "GetRepositoryEndpoint": scopeRepository,
	"ListPackages": scopeRepository, "AssociateExternalConnection": scopeRepository,
	"DisassociateExternalConnection": scopeRepository,

	"DescribePackage": scopePackage, "DeletePackage": scopePackage,
	"PutPackageOriginConfiguration": scopePackage, "ListPackageVersions": scopePackage,
	"DescribePackageVersion": scopePackage, "UpdatePackageVersionsStatus": scopePackage,
	"CopyPackageVersions": scopePackage, "DeletePackageVersions": scopePackage,
	"DisposePackageVersions": scopePackage, "PublishPackageVersion": scopePackage,
	"ListPackageVersionAssets": scopePackage, "GetPackageVersionAsset": scopePackage,
	"GetPackageVersionReadme": scopePackage, "ListPackageVersionDependencies": scopePackage,

	"TagResource": scopeTagged, "UntagResource": scopeTagged, "ListTagsForResource": scopeTagged,
}

// check is one permission a call needs: an action on a resource owned by
// an account.
type check struct {
	action, resource, owner string
}

// checks lists the permissions a call needs, as CodeArtifact's IAM
// reference defines them: the operation's own action on its resource, plus
// sts:GetServiceBearerToken for tokens, ReadFromRepository on a copy's
// source and AssociateWithDownstreamRepository on each new upstream.
func (h *Handler) checks(c *call) []check {
	name := c.in.op.Name
	in := c.in
	domain, owner := in.S("domain"), in.S("domainOwner")
	if name == "PutDomainPermissionsPolicy" { // the one op with them in the body
		var b struct{ Domain, DomainOwner string }
		_ = in.Body(&b)
		domain, owner = b.Domain, b.DomainOwner
	}
	if owner == "" {
		owner = c.caller.Account
	}
	region := h.svc.Region()
	repoARN := func(repo string) string { return h.svc.RepositoryARN(owner, domain, repo) }
	act := "codeartifact:" + name
	var out []check
	switch opScopes[name] {
	case scopeAccount:
		out = append(out, check{act, "*", c.caller.Account})
	case scopeDomain:
		out = append(out, check{act, h.svc.DomainARN(owner, domain), owner})
		if name == "GetAuthorizationToken" {
			out = append(out, check{"sts:GetServiceBearerToken", "*", c.caller.Account})
		}
	case scopeRepository:
		repo := in.S("repository")
		out = append(out, check{act, repoARN(repo), owner})
		if name == "CreateRepository" || name == "UpdateRepository" {
			var b upstreamsBody
			_ = in.Body(&b)
			if ups := b.upstreamNames(); ups != nil {
				for _, u := range *ups {
					out = append(out, check{"codeartifact:AssociateWithDownstreamRepository", repoARN(u), owner})
				}
			}
		}
	case scopePackage:
		repo := in.S("repository")
		if name == "CopyPackageVersions" {
			repo = in.S("destinationRepository")
			out = append(out, check{"codeartifact:ReadFromRepository", repoARN(in.S("sourceRepository")), owner})
		}
		out = append(out, check{act, "arn:aws:codeartifact:" + region + ":" + owner + ":package/" + domain + "/" + repo + "/" +
			in.S("format") + "/" + formatrules.Of(in.S("format")).NormalizeNS(in.S("namespace")) + "/" + formatrules.Of(in.S("format")).Normalize(in.S("package")), owner})
	case scopePackageGroup:
		out = append(out, check{act, h.svc.PackageGroupARN(owner, domain, h.groupPattern(c, owner, domain)), owner})
	case scopeTagged:
		arn := in.S("resourceArn")
		out = append(out, check{act, arn, arnAccount(arn)})
	}
	return out
}

// arnAccount is the account field of an ARN ("" if it has none).
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// authorize refuses a call that a needed permission does not cover (see
// authz.Authorizer; the root principal has every identity permission, so
// only a resource policy can refuse it, and the SQLite store caches policy
// lookups so the common case stays cheap).
func (h *Handler) authorize(c *call) error {
	c.checks = h.checks(c)
	for _, ck := range c.checks {
		if err := h.authz.Check(c.ctx, c.caller, ck.action, ck.resource, ck.owner); err != nil {
			return err
		}
	}
	return nil
}

func isRoot(p auth.Principal) bool { return strings.HasSuffix(p.ARN, ":root") }

// groupPattern is the pattern of the group a package-group operation acts
// on, canonical when it parses (else as sent: the operation refuses it
// after authorization). GetAssociatedPackageGroup acts on the group the
// package belongs to.
func (h *Handler) groupPattern(c *call, owner, domain string) string {
	in := c.in
	if in.op.Name == "GetAssociatedPackageGroup" {
		return h.svc.AssociatedGroupPattern(c.ctx, owner, domain, in.S("format"), in.S("namespace"), in.S("package"))
	}
	p := in.S("packageGroup")
	if in.op.Name == "CreatePackageGroup" || in.op.Name == "UpdatePackageGroup" {
		var b struct {
			PackageGroup string `json:"packageGroup"`
		}
		_ = in.Body(&b)
		p = b.PackageGroup
	}
	if parsed, err := pkggroup.Parse(p); err == nil {
		return parsed.String()
	}
	return p
}
