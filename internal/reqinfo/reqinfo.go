// Package reqinfo carries what the transports learn about a request (its
// plane, its operation, who made it) back to the server's middleware, which
// reports it in metrics and the access log. The middleware's response
// writer holds the Info; a transport finds it through the writer's Unwrap
// chain, so no context or request copy is allocated per request.
package reqinfo

import "net/http"

// Info describes one request. Operation must come from a bounded set (a
// control-plane operation name, a format name, an IAM action arca knows):
// it becomes a metric label.
type Info struct {
	Plane     string // "control", "data", "iam"; "" lets the server guess from the path
	Operation string
	Principal string // the caller's ARN once authenticated
}

// Carrier is a response writer that holds a request's Info.
type Carrier interface {
	RequestInfo() *Info
}

// From returns the Info that w (or a writer it wraps) carries, or nil when
// the request did not come through the server's middleware (unit tests).
func From(w http.ResponseWriter) *Info {
	for i := 0; i < 16 && w != nil; i++ {
		if c, ok := w.(Carrier); ok {
			return c.RequestInfo()
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

// Set records plane, operation and principal on w's Info, if it has one.
// Empty arguments leave what is there.
func Set(w http.ResponseWriter, plane, operation, principal string) {
	in := From(w)
	if in == nil {
		return
	}
	if plane != "" {
		in.Plane = plane
	}
	if operation != "" {
		in.Operation = operation
	}
	if principal != "" {
		in.Principal = principal
	}
}
