package apierr

import (
	"encoding/json"
	"net/http"
)

// body is the restJson1 error document: the model's members plus __type,
// which SDKs fall back to when X-Amzn-ErrorType is absent.
type body struct {
	Type         string `json:"__type"`
	Message      string `json:"message"`
	ResourceID   string `json:"resourceId,omitempty"`
	ResourceType string `json:"resourceType,omitempty"`
	Reason       string `json:"reason,omitempty"`
}

// Write renders err in the control plane's wire form: status from the kind,
// X-Amzn-ErrorType, and a JSON body. Internal causes are never sent.
func Write(w http.ResponseWriter, err error) {
	e := As(err)
	msg := e.Message
	if e.Kind == Internal {
		msg = "An internal error occurred. Try again later."
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.Kind.Exception())
	h.Del("Content-Length")
	SetRetryHeaders(h, e)
	w.WriteHeader(e.Kind.Status())
	b, _ := json.Marshal(body{
		Type:         e.Kind.Exception(),
		Message:      msg,
		ResourceID:   e.ResourceID,
		ResourceType: e.ResourceType,
		Reason:       e.Reason,
	})
	_, _ = w.Write(b)
}
