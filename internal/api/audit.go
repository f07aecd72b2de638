package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/audit"
	"github.com/arca-repo/arca/internal/auth"
)

// auditRecord is what serve learned about a request, for the audit log:
// the operation once routed, the principal once authenticated, the call
// once decoded.
type auditRecord struct {
	at     time.Time
	op     *opModel
	caller *auth.Principal
	call   *call
}

// maxAuditParam caps one request parameter in the audit log (a refused
// request may carry anything).
const maxAuditParam = 512

// record logs one routed call, accepted or refused (err).
func (h *Handler) record(w http.ResponseWriter, r *http.Request, rec *auditRecord, err error) {
	if !h.audit.Wants(audit.ReadOnly(rec.op.Name), err != nil) {
		return
	}
	e := audit.New(w, r, rec.op.Name, audit.TypeAPICall, rec.at)
	e.AWSRegion = h.svc.Region()
	if rec.caller != nil {
		e.UserIdentity = audit.Identity(rec.caller.Account, rec.caller.ARN, rec.caller.AccessKeyID)
		if e.UserIdentity.AccessKeyID == "" {
			e.UserIdentity.AccessKeyID = audit.AccessKeyID(r)
		}
	} else {
		e.UserIdentity = audit.UserIdentity{Type: audit.IdentityUnknown, AccessKeyID: audit.AccessKeyID(r)}
	}
	e.RequestParameters = auditParams(rec.op, r)
	if rec.call != nil && rec.op.Name == "PutDomainPermissionsPolicy" {
		// The one operation with its domain in the body: those two scalars
		// are recorded, never the policy document.
		var b struct{ Domain, DomainOwner string }
		if rec.call.in.Body(&b) == nil && b.Domain != "" {
			e.RequestParameters = map[string]string{"domain": b.Domain}
			if b.DomainOwner != "" {
				e.RequestParameters["domainOwner"] = b.DomainOwner
			}
		}
	}
	if rec.call != nil {
		seen := map[string]bool{}
		for _, ck := range rec.call.checks {
			if ck.resource != "*" && ck.resource != "" && !seen[ck.resource] {
				seen[ck.resource] = true
				e.Resources = append(e.Resources, audit.Resource{ARN: ck.resource})
			}
		}
	}
	if err != nil {
		ae := apierr.As(err)
		e.ErrorCode = ae.Kind.Exception()
		e.ErrorMessage = ae.Message
	}
	h.audit.Log(e)
}

// auditParams are the operation's scalar query and header members as the
// request sent them: never the body (policy documents, tags), never a
// pagination token, never the SigV4 query parameters.
func auditParams(op *opModel, r *http.Request) map[string]string {
	q := r.URL.Query()
	var out map[string]string
	for _, p := range op.Params {
		if strings.Contains(strings.ToLower(p.Member), "token") {
			continue
		}
		var v string
		switch p.Loc {
		case locQuery:
			v = q.Get(p.Wire)
		case locHeader:
			v = r.Header.Get(p.Wire)
		default:
			continue
		}
		if v == "" {
			continue
		}
		if len(v) > maxAuditParam {
			v = v[:maxAuditParam] + "…"
		}
		if out == nil {
			out = map[string]string{}
		}
		out[p.Member] = v
	}
	return out
}
