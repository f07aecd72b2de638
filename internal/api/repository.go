package api

import "github.com/arca-repo/arca/internal/meta"

type upstreamsBody struct {
	Description *string `json:"description"`
	Upstreams   *[]struct {
		RepositoryName string `json:"repositoryName"`
	} `json:"upstreams"`
	Tags []tag `json:"tags"`
}

// upstreamNames flattens the request's upstream list (nil when absent, so an
// update leaves the list alone).
func (b *upstreamsBody) upstreamNames() *[]string {
	if b.Upstreams == nil {
		return nil
	}
	names := make([]string, len(*b.Upstreams))
	for i, u := range *b.Upstreams {
		names[i] = u.RepositoryName
	}
	return &names
}

func (h *Handler) repositoryList(op string, rs []meta.Repository, next string) any {
	out := make([]repositorySummary, len(rs))
	for i := range rs {
		out[i] = h.repositorySummary(&rs[i])
	}
	return map[string]any{"repositories": out, "nextToken": pageToken(op, next)}
}

var repositoryOps = map[string]handlerFunc{
	"CreateRepository": func(h *Handler, c *call) (any, error) {
		var body upstreamsBody
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		var desc string
		if body.Description != nil {
			desc = *body.Description
		}
		var ups []string
		if n := body.upstreamNames(); n != nil {
			ups = *n
		}
		r, err := h.svc.CreateRepository(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"), c.in.S("repository"), desc, ups, tagsIn(body.Tags))
		if err != nil {
			return nil, err
		}
		return map[string]any{"repository": h.repositoryDescription(r)}, nil
	},
	"DescribeRepository": func(h *Handler, c *call) (any, error) {
		r, err := h.svc.DescribeRepository(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"), c.in.S("repository"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"repository": h.repositoryDescription(r)}, nil
	},
	"UpdateRepository": func(h *Handler, c *call) (any, error) {
		var body upstreamsBody
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		r, err := h.svc.UpdateRepository(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"), c.in.S("repository"), body.Description, body.upstreamNames())
		if err != nil {
			return nil, err
		}
		return map[string]any{"repository": h.repositoryDescription(r)}, nil
	},
	"DeleteRepository": func(h *Handler, c *call) (any, error) {
		r, err := h.svc.DeleteRepository(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"), c.in.S("repository"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"repository": h.repositoryDescription(r)}, nil
	},
	"ListRepositories": func(h *Handler, c *call) (any, error) {
		opt, err := c.listOptions()
		if err != nil {
			return nil, err
		}
		rs, next, err := h.svc.ListRepositories(c.ctx, c.caller, c.in.S("repositoryPrefix"), opt)
		if err != nil {
			return nil, err
		}
		return h.repositoryList("ListRepositories", rs, next), nil
	},
	"ListRepositoriesInDomain": func(h *Handler, c *call) (any, error) {
		opt, err := c.listOptions()
		if err != nil {
			return nil, err
		}
		rs, next, err := h.svc.ListRepositoriesInDomain(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"),
			c.in.S("administratorAccount"), c.in.S("repositoryPrefix"), opt)
		if err != nil {
			return nil, err
		}
		return h.repositoryList("ListRepositoriesInDomain", rs, next), nil
	},
}
