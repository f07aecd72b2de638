package api

var tokenOps = map[string]handlerFunc{
	"GetAuthorizationToken": func(h *Handler, c *call) (any, error) {
		var dur *int64
		if c.in.Has("durationSeconds") {
			d := c.in.I("durationSeconds", 0)
			dur = &d
		}
		tok, exp, err := h.svc.GetAuthorizationToken(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"), dur)
		if err != nil {
			return nil, err
		}
		return map[string]any{"authorizationToken": tok, "expiration": ts(exp)}, nil
	},
	"GetRepositoryEndpoint": func(h *Handler, c *call) (any, error) {
		ep, err := h.svc.GetRepositoryEndpoint(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"), c.in.S("repository"), c.in.S("format"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"repositoryEndpoint": ep}, nil
	},
}
