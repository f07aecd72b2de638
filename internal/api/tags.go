package api

var tagOps = map[string]handlerFunc{
	"TagResource": func(h *Handler, c *call) (any, error) {
		var body struct {
			Tags []tag `json:"tags"`
		}
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		if err := h.svc.TagResource(c.ctx, c.caller, c.in.S("resourceArn"), tagsIn(body.Tags)); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	},
	"UntagResource": func(h *Handler, c *call) (any, error) {
		var body struct {
			TagKeys []string `json:"tagKeys"`
		}
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		if err := h.svc.UntagResource(c.ctx, c.caller, c.in.S("resourceArn"), body.TagKeys); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	},
	"ListTagsForResource": func(h *Handler, c *call) (any, error) {
		ts, err := h.svc.ListTagsForResource(c.ctx, c.caller, c.in.S("resourceArn"))
		if err != nil {
			return nil, err
		}
		out := make([]tag, len(ts))
		for i, t := range ts {
			out[i] = tag{Key: t.Key, Value: t.Value}
		}
		return map[string]any{"tags": out}, nil
	},
}
