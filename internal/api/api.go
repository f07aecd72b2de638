// Package api is the control-plane transport: it routes CodeArtifact's 48
// operations by method and path (from the model tables generated into
// model_gen.go), authenticates with SigV4, validates every input member
// against the model's constraints, calls one pkgsvc method, and encodes the
// result as restJson1. It chooses no HTTP status itself: errors carry a kind.
package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/audit"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/auth/sigv4"
	"github.com/arca-repo/arca/internal/authz"
	"github.com/arca-repo/arca/internal/pkgsvc"
	"github.com/arca-repo/arca/internal/reqinfo"
)

// MaxJSONBody caps a control-plane JSON request body.
const MaxJSONBody = 1 << 20

// Handler serves the control plane.
type Handler struct {
	svc        *pkgsvc.Service
	creds      auth.Credentials
	authz      *authz.Authorizer
	verifier   *sigv4.Verifier
	log        *slog.Logger
	maxPayload int64
	audit      audit.Logger
}

// Options tune a Handler.
type Options struct {
	// MaxPayload caps a streamed body (the largest asset).
	MaxPayload int64
	// Audit records every call routed to an operation; nil discards.
	Audit audit.Logger
}

// New returns a control-plane handler.
func New(svc *pkgsvc.Service, creds auth.Credentials, log *slog.Logger, o Options) *Handler {
	h := &Handler{svc: svc, creds: creds, log: log, maxPayload: o.MaxPayload,
		authz: authz.New(creds, svc), audit: o.Audit}
	if h.audit == nil {
		h.audit = audit.Discard
	}
	h.verifier = &sigv4.Verifier{
		Region:  svc.Region(),
		Service: "codeartifact",
		Lookup: func(ctx context.Context, akid string) (string, error) {
			c, err := creds.Lookup(ctx, akid)
			return c.SecretAccessKey, err
		},
	}
	return h
}

// call is one decoded, authenticated request.
type call struct {
	ctx    context.Context
	in     *input
	caller auth.Principal
	w      http.ResponseWriter
	r      *http.Request
	// presigned: authenticated by a presigned URL (query auth), so the
	// client is a plain HTTP client that can follow a redirect.
	presigned bool
	// checks are the permissions the call needed (set by authorize; the
	// audit record names their resources).
	checks []check
}

// handlerFunc implements one operation. It returns the response document, or
// nil when it wrote the response itself (streaming).
type handlerFunc func(h *Handler, c *call) (any, error)

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := auditRecord{at: time.Now()}
	r.Body = &requestBody{ReadCloser: r.Body, length: r.ContentLength}
	err := h.serve(w, r, &rec)
	if in := reqinfo.From(w); in != nil {
		in.Plane, in.Operation = "control", "unknown"
		if rec.op != nil {
			in.Operation = rec.op.Name
		}
		if rec.caller != nil {
			in.Principal = rec.caller.ARN
		}
	}
	if err != nil {
		h.fail(w, r, err)
	}
	if rec.op != nil {
		h.record(w, r, &rec, err)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rec *auditRecord) error {
	op := opsByRoute[r.Method+" "+r.URL.Path]
	rec.op = op
	if op == nil {
		if pathKnown(r.URL.Path) {
			return apierr.New(apierr.UnknownOperation, "No operation at %s accepts method %s.", r.URL.Path, r.Method)
		}
		return apierr.New(apierr.UnknownOperation, "No operation matches %s %s.", r.Method, r.URL.Path)
	}
	// Everything the signature's headers allow (a well-formed Authorization
	// header or presigned query, a known access key, the credential scope,
	// the signing time) is verified before a byte of the body is read: an
	// unauthenticated client cannot make arca wait for, read or store a body.
	pending, err := h.verifier.Check(r)
	if err != nil {
		return err
	}
	defer pending.Release()
	var body []byte
	var res sigv4.Result
	var wrongHash error
	if op.Payload == "" {
		if body, err = readJSON(r); err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		res, err = pending.Verify(hex.EncodeToString(sum[:]))
	} else {
		res, wrongHash, err = h.verifyStreamed(r, pending)
	}
	if err != nil {
		return err
	}
	cred, err := h.creds.Lookup(r.Context(), res.AccessKeyID)
	if err != nil {
		return err
	}
	rec.caller = &cred.Principal
	fn := handlers[op.Name]
	if fn == nil {
		return apierr.New(apierr.Validation, "Operation %s is not supported by this arca server yet.", op.Name)
	}
	in, err := decodeInput(op, r, body)
	if err != nil {
		return err
	}
	c := &call{ctx: r.Context(), in: in, caller: cred.Principal, w: w, r: r, presigned: res.Presigned}
	rec.call = c
	if err := h.authorize(c); err != nil {
		return err
	}
	if wrongHash != nil {
		return wrongHash
	}
	out, err := fn(h, c)
	if err != nil {
		return err
	}
	if out != nil {
		writeJSON(w, out)
	}
	return nil
}

// fail writes err, logging server faults with their cause.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := apierr.As(err)
	if e.Kind == apierr.Internal {
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else if e.Err != nil {
		h.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	apierr.Write(w, e)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		apierr.Write(w, apierr.Wrap(err, "encoding response"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// handlers maps operation names to their implementations (one table per
// resource file); operations of the model not listed answer with a
// ValidationException saying so.
var handlers = merge(domainOps, repositoryOps, connectionOps, tagOps, packageOps, lifecycleOps, policyOps, tokenOps, packageGroupOps)

func merge(tables ...map[string]handlerFunc) map[string]handlerFunc {
	all := map[string]handlerFunc{}
	for _, t := range tables {
		for name, fn := range t {
			if _, dup := all[name]; dup {
				panic("api: operation implemented twice: " + name)
			}
			all[name] = fn
		}
	}
	return all
}
