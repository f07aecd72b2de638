package api

// connectionOps are the two external-connection operations; both answer
// with the repository's description.
var connectionOps = map[string]handlerFunc{
	"AssociateExternalConnection": func(h *Handler, c *call) (any, error) {
		r, err := h.svc.AssociateExternalConnection(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"),
			c.in.S("repository"), c.in.S("externalConnection"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"repository": h.repositoryDescription(r)}, nil
	},
	"DisassociateExternalConnection": func(h *Handler, c *call) (any, error) {
		r, err := h.svc.DisassociateExternalConnection(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"),
			c.in.S("repository"), c.in.S("externalConnection"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"repository": h.repositoryDescription(r)}, nil
	},
}
