package iam

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/audit"
	"github.com/arca-repo/arca/internal/auth"
)

// auditInfo is what serve learns about a request for its audit event.
type auditInfo struct {
	caller auth.Principal
	action string
	form   url.Values
}

// auditedParams are the request parameters an event records: names, never
// secrets or policy documents.
var auditedParams = []string{"UserName", "PolicyName", "AccessKeyId"}

func (a *auditInfo) event(w http.ResponseWriter, r *http.Request, ns string, start time.Time, err error) audit.Event {
	name := a.action
	if name == "" {
		name = "Unknown"
	}
	e := audit.New(w, r, name, "AwsApiCall", start)
	e.EventSource = "iam.amazonaws.com"
	if ns == stsNS {
		e.EventSource = "sts.amazonaws.com"
	}
	e.ReadOnly = readOnly(name)
	if a.caller.ARN != "" {
		e.UserIdentity = audit.Identity(a.caller.Account, a.caller.ARN, a.caller.AccessKeyID)
	} else {
		e.UserIdentity = audit.Identity("", "", audit.AccessKeyID(r))
	}
	for _, p := range auditedParams {
		if v := a.form.Get(p); v != "" {
			if e.RequestParameters == nil {
				e.RequestParameters = map[string]string{}
			}
			e.RequestParameters[p] = v
		}
	}
	if err != nil {
		ae := asError(err)
		e.ErrorCode, e.ErrorMessage = ae.Code, ae.Message
	}
	return e
}

// readOnly reports whether an IAM or STS action only reads.
func readOnly(action string) bool {
	return strings.HasPrefix(action, "Get") || strings.HasPrefix(action, "List")
}
