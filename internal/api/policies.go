package api

import (
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

type resourcePolicy struct {
	ResourceArn string `json:"resourceArn"`
	Revision    string `json:"revision"`
	Document    string `json:"document"`
}

func policyOut(p *meta.ResourcePolicy) any {
	return map[string]any{"policy": resourcePolicy{ResourceArn: p.ResourceARN, Revision: p.Revision, Document: p.Document}}
}

// policyTarget reads the domain or repository a policy operation names from
// the query (PutDomainPermissionsPolicy carries them in the body instead).
func (c *call) policyTarget(withRepo bool) pkgsvc.PolicyTarget {
	t := pkgsvc.PolicyTarget{DomainOwner: c.in.S("domainOwner"), Domain: c.in.S("domain")}
	if withRepo {
		t.Repository = c.in.S("repository")
	}
	return t
}

var policyOps = map[string]handlerFunc{
	"PutDomainPermissionsPolicy": func(h *Handler, c *call) (any, error) {
		var body struct {
			Domain         string `json:"domain"`
			DomainOwner    string `json:"domainOwner"`
			PolicyRevision string `json:"policyRevision"`
			PolicyDocument string `json:"policyDocument"`
		}
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		p, err := h.svc.PutPermissionsPolicy(c.ctx, c.caller, pkgsvc.PolicyTarget{DomainOwner: body.DomainOwner, Domain: body.Domain},
			body.PolicyRevision, body.PolicyDocument)
		if err != nil {
			return nil, err
		}
		return policyOut(p), nil
	},
	"PutRepositoryPermissionsPolicy": func(h *Handler, c *call) (any, error) {
		var body struct {
			PolicyRevision string `json:"policyRevision"`
			PolicyDocument string `json:"policyDocument"`
		}
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		p, err := h.svc.PutPermissionsPolicy(c.ctx, c.caller, c.policyTarget(true), body.PolicyRevision, body.PolicyDocument)
		if err != nil {
			return nil, err
		}
		return policyOut(p), nil
	},
	"GetDomainPermissionsPolicy":        getPolicy(false),
	"GetRepositoryPermissionsPolicy":    getPolicy(true),
	"DeleteDomainPermissionsPolicy":     deletePolicy(false),
	"DeleteRepositoryPermissionsPolicy": deletePolicy(true),
}

func getPolicy(withRepo bool) handlerFunc {
	return func(h *Handler, c *call) (any, error) {
		p, err := h.svc.GetPermissionsPolicy(c.ctx, c.caller, c.policyTarget(withRepo))
		if err != nil {
			return nil, err
		}
		return policyOut(p), nil
	}
}

func deletePolicy(withRepo bool) handlerFunc {
	return func(h *Handler, c *call) (any, error) {
		p, err := h.svc.DeletePermissionsPolicy(c.ctx, c.caller, c.policyTarget(withRepo), c.in.S("policyRevision"))
		if err != nil {
			return nil, err
		}
		return policyOut(p), nil
	}
}
