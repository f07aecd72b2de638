package api

import (
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

type versionInfo struct {
	Revision string `json:"revision,omitempty"`
	Status   string `json:"status"`
}

type versionError struct {
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

func batchOut(b *pkgsvc.BatchResult) any {
	ok := make(map[string]versionInfo, len(b.Successful))
	for v, i := range b.Successful {
		ok[v] = versionInfo{Revision: i.Revision, Status: i.Status}
	}
	failed := make(map[string]versionError, len(b.Failed))
	for v, e := range b.Failed {
		failed[v] = versionError{ErrorCode: e.Code, ErrorMessage: e.Message}
	}
	return map[string]any{"successfulVersions": ok, "failedVersions": failed}
}

// versionsBody is the JSON body shared by the batch version operations.
type versionsBody struct {
	Versions            []string          `json:"versions"`
	VersionRevisions    map[string]string `json:"versionRevisions"`
	ExpectedStatus      string            `json:"expectedStatus"`
	TargetStatus        string            `json:"targetStatus"`
	AllowOverwrite      bool              `json:"allowOverwrite"`
	IncludeFromUpstream bool              `json:"includeFromUpstream"`
}

var lifecycleOps = map[string]handlerFunc{
	"UpdatePackageVersionsStatus": func(h *Handler, c *call) (any, error) {
		var body versionsBody
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		b, err := h.svc.UpdatePackageVersionsStatus(c.ctx, c.caller, c.coord(), body.Versions, body.VersionRevisions, body.ExpectedStatus, body.TargetStatus)
		if err != nil {
			return nil, err
		}
		return batchOut(b), nil
	},
	"DeletePackageVersions": func(h *Handler, c *call) (any, error) {
		var body versionsBody
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		b, err := h.svc.DeletePackageVersions(c.ctx, c.caller, c.coord(), body.Versions, body.ExpectedStatus)
		if err != nil {
			return nil, err
		}
		return batchOut(b), nil
	},
	"DisposePackageVersions": func(h *Handler, c *call) (any, error) {
		var body versionsBody
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		b, err := h.svc.DisposePackageVersions(c.ctx, c.caller, c.coord(), body.Versions, body.VersionRevisions, body.ExpectedStatus)
		if err != nil {
			return nil, err
		}
		return batchOut(b), nil
	},
	"CopyPackageVersions": func(h *Handler, c *call) (any, error) {
		var body versionsBody
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		b, err := h.svc.CopyPackageVersions(c.ctx, c.caller, pkgsvc.CopyInput{
			DomainOwner: c.in.S("domainOwner"), Domain: c.in.S("domain"),
			SourceRepository: c.in.S("sourceRepository"), DestRepository: c.in.S("destinationRepository"),
			Format: c.in.S("format"), Namespace: formatrules.Of(c.in.S("format")).NormalizeNS(c.in.S("namespace")),
			Package:  formatrules.Of(c.in.S("format")).Normalize(c.in.S("package")),
			Versions: body.Versions, Revisions: body.VersionRevisions,
			AllowOverwrite: body.AllowOverwrite, IncludeFromUpstream: body.IncludeFromUpstream,
		})
		if err != nil {
			return nil, err
		}
		return batchOut(b), nil
	},
	"DeletePackage": func(h *Handler, c *call) (any, error) {
		p, err := h.svc.DeletePackage(c.ctx, c.caller, c.coord())
		if err != nil {
			return nil, err
		}
		return map[string]any{"deletedPackage": packageSummaryOf(p)}, nil
	},
	"PutPackageOriginConfiguration": func(h *Handler, c *call) (any, error) {
		var body struct {
			Restrictions originRestrictions `json:"restrictions"`
		}
		if err := c.in.Body(&body); err != nil {
			return nil, err
		}
		p, err := h.svc.PutPackageOriginConfiguration(c.ctx, c.caller, c.coord(), body.Restrictions.Publish, body.Restrictions.Upstream)
		if err != nil {
			return nil, err
		}
		return map[string]any{"originConfiguration": origin(p)}, nil
	},
}
