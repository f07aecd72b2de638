package api

import "github.com/arca-repo/arca/internal/meta"

var domainOps = map[string]handlerFunc{
	"CreateDomain": func(h *Handler, c *call) (any, error) {
		var body struct {
			EncryptionKey string `json:"encryptionKey"`
			Tags          []tag  `json:"tags"`
		}
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		d, err := h.svc.CreateDomain(c.ctx, c.caller, c.in.S("domain"), body.EncryptionKey, tagsIn(body.Tags))
		if err != nil {
			return nil, err
		}
		return map[string]any{"domain": h.domainDescription(d)}, nil
	},
	"DescribeDomain": func(h *Handler, c *call) (any, error) {
		d, err := h.svc.DescribeDomain(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"domain": h.domainDescription(d)}, nil
	},
	"DeleteDomain": func(h *Handler, c *call) (any, error) {
		d, err := h.svc.DeleteDomain(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"domain": h.domainDescription(d)}, nil
	},
	"ListDomains": func(h *Handler, c *call) (any, error) {
		// The one list operation whose paging members travel in the body.
		var body struct {
			MaxResults *int   `json:"maxResults"`
			NextToken  string `json:"nextToken"`
		}
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		after, err := parseToken("ListDomains", body.NextToken)
		if err != nil {
			return nil, err
		}
		opt := meta.ListOptions{Limit: defaultPageSize, After: after}
		if body.MaxResults != nil {
			opt.Limit = *body.MaxResults
		}
		ds, next, err := h.svc.ListDomains(c.ctx, c.caller, opt)
		if err != nil {
			return nil, err
		}
		out := make([]domainSummary, len(ds))
		for i := range ds {
			out[i] = h.domainSummary(&ds[i])
		}
		return map[string]any{"domains": out, "nextToken": pageToken("ListDomains", next)}, nil
	},
}
