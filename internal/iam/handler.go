package iam

import (
	"time"

	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"github.com/arca-repo/arca/internal/audit"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/auth/policy"
	"github.com/arca-repo/arca/internal/auth/sigv4"
	"github.com/arca-repo/arca/internal/reqinfo"
)

// API versions of the query protocol.
const (
	IAMVersion = "2010-05-08"
	STSVersion = "2011-06-15"

	iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"

	// globalRegion is where IAM lives; a request signed for it is accepted
	// besides the server's own region.
	globalRegion = "us-east-1"

	// maxBody bounds a request's form. IAM documents no total request
	// size, but its largest parameter, PutUserPolicy's PolicyDocument, may
	// hold 131,072 characters, and a document that long can be valid
	// (whitespace does not count against the policy quota). Each character
	// may be up to U+00FF, two bytes of UTF-8 and six percent-encoded:
	// 786,432 bytes. 1 MiB holds that and every other parameter, so no
	// valid request is refused, and nothing larger is read.
	maxBody = 1 << 20
)

// Handler serves IAM and STS in the query protocol: POST, form-encoded
// Action and Version, SigV4 with service "iam" or "sts".
type Handler struct {
	// Audit, when set, receives one event per request (as the control
	// plane's calls do): never a secret or a policy document.
	Audit     audit.Logger
	svc       *Service
	log       *slog.Logger
	verifiers map[string]*sigv4.Verifier // by region + "/" + service
	region    string
}

// NewHandler returns the query-protocol handler. Requests are verified
// against svc.Credentials(), scoped to region or to us-east-1 (the region
// IAM's global endpoint signs with).
func NewHandler(svc *Service, region string, log *slog.Logger) *Handler {
	h := &Handler{svc: svc, log: log, region: region, verifiers: map[string]*sigv4.Verifier{}}
	lookup := func(ctx context.Context, akid string) (string, error) {
		c, err := svc.Credentials().Lookup(ctx, akid)
		return c.SecretAccessKey, err
	}
	for _, r := range []string{region, globalRegion} {
		for _, s := range []string{"iam", "sts"} {
			h.verifiers[r+"/"+s] = &sigv4.Verifier{Region: r, Service: s, Lookup: lookup}
		}
	}
	return h
}

// IsQueryRequest reports whether r looks like a query-protocol call: a POST
// with a form-encoded body.
func IsQueryRequest(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// request is one decoded, authenticated call.
type request struct {
	ctx    context.Context
	form   url.Values
	caller auth.Principal
	action string
}

func (q *request) get(name string) string { return q.form.Get(name) }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ns := iamNS
	var who auditInfo
	start := time.Now()
	err := h.serve(w, r, &ns, &who)
	if in := reqinfo.From(w); in != nil {
		// Only an action arca knows names the operation: the Action
		// parameter is the client's word, and labels must stay bounded.
		in.Plane, in.Operation, in.Principal = "iam", "unknown", who.caller.ARN
		if stsOps[who.action] != nil || iamOps[who.action] != nil {
			in.Operation = who.action
		}
	}
	if err != nil {
		h.fail(w, r, ns, err)
	}
	if h.Audit != nil && h.Audit.Wants(readOnly(who.action), err != nil) {
		h.Audit.Log(who.event(w, r, ns, start, err))
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, ns *string, who *auditInfo) error {
	if !IsQueryRequest(r) {
		return newErr(CodeInvalidAction, http.StatusBadRequest, "Only POST requests with a form-encoded body are supported.")
	}
	// Everything the signature's headers allow (a well-formed Authorization
	// header or presigned query, a known access key, the credential scope,
	// the signing time) is verified before a byte of the body is read, with
	// the verifier of the service the credential scope names: an
	// unauthenticated client cannot make arca wait for or read a form.
	scoped := scopeService(r)
	if scoped == "sts" {
		*ns = stsNS
	}
	pending, err := h.verifier(r, scoped).Check(r)
	if err != nil {
		return err
	}
	defer func() { pending.Release() }()
	if r.ContentLength > maxBody {
		return validation("The request body exceeds %d bytes.", maxBody)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		var ae *apierr.Error
		if errors.As(err, &ae) {
			return err // say, a body cut off for making no progress
		}
		return validation("The request body could not be read: the client closed or truncated it.")
	}
	if len(body) > maxBody {
		return validation("The request body exceeds %d bytes.", maxBody)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return validation("The request body is not a valid form.")
	}
	// A parameter given twice is ambiguous (which Action runs?): refuse it
	// rather than silently take the first value.
	for name, vals := range form {
		if len(vals) > 1 {
			return validation("The parameter %s was given %d times; give it once.", name, len(vals))
		}
	}
	action, version := form.Get("Action"), form.Get("Version")
	service := "iam"
	if version == STSVersion || version == "" && action == "GetCallerIdentity" {
		service = "sts"
	}
	if service == "sts" {
		*ns = stsNS
	} else {
		*ns = iamNS
	}
	if service != scoped {
		// Signed for the other service: its verifier gives the scope error.
		pending.Release()
		if pending, err = h.verifier(r, service).Check(r); err != nil {
			return err
		}
	}
	sum := sha256.Sum256(body)
	res, err := pending.Verify(hex.EncodeToString(sum[:]))
	if err != nil {
		return err
	}
	cred, err := h.svc.Credentials().Lookup(r.Context(), res.AccessKeyID)
	if err != nil {
		return err
	}
	if action == "" {
		return newErr("MissingAction", http.StatusBadRequest, "Missing Action")
	}
	who.caller, who.action, who.form = cred.Principal, action, form
	q := &request{ctx: r.Context(), form: form, caller: cred.Principal, action: action}
	var op func(*Handler, *request) (any, error)
	if service == "sts" {
		op = stsOps[action]
	} else {
		op = iamOps[action]
		if version != "" && version != IAMVersion {
			return newErr(CodeInvalidAction, http.StatusBadRequest, "Could not find operation %s for version %s", action, version)
		}
	}
	if op == nil {
		return newErr(CodeInvalidAction, http.StatusBadRequest, "Could not find operation %s for version %s", action, version)
	}
	result, err := op(h, q)
	if err != nil {
		return err
	}
	writeXML(w, http.StatusOK, response{ns: *ns, action: action, result: result, requestID: requestID(w)})
	return nil
}

// scopeService is the service ("iam" or "sts") the request's credential
// scope names, "iam" when it names neither: it picks the verifier that
// checks a request before its form (which says the action) is read.
func scopeService(r *http.Request) string {
	var cred string
	if _, after, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		cred = strings.TrimSpace(strings.SplitN(after, ",", 2)[0])
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	if scope := strings.Split(cred, "/"); len(scope) == 5 && scope[3] == "sts" {
		return "sts"
	}
	return "iam"
}

// verifier picks the Verifier for the region the request's credential scope
// names, when it is one this server answers for; otherwise the server's own,
// whose refusal explains the expected scope.
func (h *Handler) verifier(r *http.Request, service string) *sigv4.Verifier {
	region := h.region
	if _, after, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		scope := strings.Split(strings.TrimSpace(strings.SplitN(after, ",", 2)[0]), "/")
		if len(scope) == 5 && scope[2] == globalRegion {
			region = globalRegion
		}
	} else if c := r.URL.Query().Get("X-Amz-Credential"); c != "" {
		if scope := strings.Split(c, "/"); len(scope) == 5 && scope[2] == globalRegion {
			region = globalRegion
		}
	}
	return h.verifiers[region+"/"+service]
}

// fail writes err as an ErrorResponse; only server faults are logged, and
// never with the request's parameters.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, ns string, err error) {
	e := asError(err)
	if e.Status >= 500 && h.log != nil {
		h.log.Error("IAM request failed", "path", r.URL.Path, "err", err)
	}
	typ := "Sender"
	if !e.Sender() {
		typ = "Receiver"
	}
	setRetryHeaders(w.Header(), err)
	writeXML(w, e.Status, errorResponse{NS: ns, Error: errorBody{Type: typ, Code: e.Code, Message: e.Message}, RequestID: requestID(w)})
}

func requestID(w http.ResponseWriter) string {
	if id := w.Header().Get("x-amzn-RequestId"); id != "" {
		return id
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// authorize allows the account's root everything and other principals what
// their identity policies allow (IAM resources carry no resource policy).
func (h *Handler) authorize(q *request, resource string) error {
	req := policy.Request{Action: "iam:" + q.action, Resource: resource,
		Principal: policy.Principal{Account: q.caller.Account, ARN: q.caller.ARN}}
	res := policy.Authorize(req, q.caller.Account, h.svc.Credentials().IdentityPolicies(q.caller.ARN), nil)
	if !res.Allowed {
		return newErr(CodeAccessDenied, http.StatusForbidden, "%s", res.Message(req))
	}
	return nil
}

// targetUser is the UserName parameter, or the caller itself when it is a
// user and the parameter is absent (as IAM does for the key operations).
func (q *request) targetUser() string {
	if n := q.get("UserName"); n != "" {
		return n
	}
	if m := userARNRE.FindStringSubmatch(q.caller.ARN); m != nil {
		return m[2]
	}
	return ""
}

var iamOps = map[string]func(*Handler, *request) (any, error){
	"CreateUser": func(h *Handler, q *request) (any, error) {
		name := q.get("UserName")
		if p := q.get("Path"); p != "" && p != "/" {
			return nil, validation("Only the path / is supported.")
		}
		if err := h.authorizeUser(q, name); err != nil {
			return nil, err
		}
		u, err := h.svc.CreateUser(q.ctx, q.caller.Account, name)
		if err != nil {
			return nil, err
		}
		return &struct {
			User userXML `xml:"User"`
		}{userXMLOf(u)}, nil
	},
	"DeleteUser": func(h *Handler, q *request) (any, error) {
		name := q.get("UserName")
		if err := h.authorizeUser(q, name); err != nil {
			return nil, err
		}
		return nil, h.svc.DeleteUser(q.ctx, q.caller.Account, name)
	},
	"GetUser": func(h *Handler, q *request) (any, error) {
		name := q.targetUser()
		if name == "" { // the root, asking about itself
			if err := h.authorize(q, q.caller.ARN); err != nil {
				return nil, err
			}
			return &struct {
				User userXML `xml:"User"`
			}{userXML{UserID: q.caller.Account, Arn: q.caller.ARN}}, nil
		}
		if err := h.authorizeUser(q, name); err != nil {
			return nil, err
		}
		u, err := h.svc.GetUser(q.ctx, q.caller.Account, name)
		if err != nil {
			return nil, err
		}
		return &struct {
			User userXML `xml:"User"`
		}{userXMLOf(u)}, nil
	},
	"ListUsers": func(h *Handler, q *request) (any, error) {
		if p := q.get("PathPrefix"); p != "" && p != "/" {
			return nil, validation("Only the path prefix / is supported.")
		}
		max, err := maxItems(q)
		if err != nil {
			return nil, err
		}
		if err := h.authorize(q, UserARN(q.caller.Account, "")); err != nil {
			return nil, err
		}
		us, next, err := h.svc.ListUsers(q.ctx, q.caller.Account, q.get("Marker"), max)
		if err != nil {
			return nil, err
		}
		out := &listUsersResult{IsTruncated: next != "", Marker: next}
		out.Users.Member = make([]userXML, len(us))
		for i, u := range us {
			out.Users.Member[i] = userXMLOf(u)
		}
		return out, nil
	},
	"CreateAccessKey": func(h *Handler, q *request) (any, error) {
		name := q.targetUser()
		if err := h.authorizeUser(q, name); err != nil {
			return nil, err
		}
		k, err := h.svc.CreateAccessKey(q.ctx, q.caller.Account, name)
		if err != nil {
			return nil, err
		}
		return &struct {
			AccessKey accessKeyXML `xml:"AccessKey"`
		}{accessKeyXML{UserName: k.UserName, AccessKeyID: k.AccessKeyID, Status: k.Status,
			SecretAccessKey: k.SecretAccessKey, CreateDate: isoTime(k.CreatedTime)}}, nil
	},
	"DeleteAccessKey": func(h *Handler, q *request) (any, error) {
		name := q.targetUser()
		if err := h.authorizeUser(q, name); err != nil {
			return nil, err
		}
		return nil, h.svc.DeleteAccessKey(q.ctx, q.caller.Account, name, q.get("AccessKeyId"))
	},
	"UpdateAccessKey": func(h *Handler, q *request) (any, error) {
		name := q.targetUser()
		if err := h.authorizeUser(q, name); err != nil {
			return nil, err
		}
		return nil, h.svc.UpdateAccessKey(q.ctx, q.caller.Account, name, q.get("AccessKeyId"), q.get("Status"))
	},
	"ListAccessKeys": func(h *Handler, q *request) (any, error) {
		name := q.targetUser()
		if _, err := maxItems(q); err != nil {
			return nil, err
		}
		if name == "" { // the root's own keys are not IAM-managed
			if err := h.authorize(q, q.caller.ARN); err != nil {
				return nil, err
			}
			return &listAccessKeysResult{}, nil
		}
		if err := h.authorizeUser(q, name); err != nil {
			return nil, err
		}
		keys, err := h.svc.ListAccessKeys(q.ctx, q.caller.Account, name)
		if err != nil {
			return nil, err
		}
		out := &listAccessKeysResult{}
		out.AccessKeyMetadata.Member = make([]accessKeyXML, len(keys))
		for i, k := range keys {
			out.AccessKeyMetadata.Member[i] = accessKeyXML{UserName: k.UserName, AccessKeyID: k.AccessKeyID,
				Status: k.Status, CreateDate: isoTime(k.CreatedTime)}
		}
		return out, nil
	},
	"PutUserPolicy": func(h *Handler, q *request) (any, error) {
		name := q.get("UserName")
		if err := h.authorizeUser(q, name); err != nil {
			return nil, err
		}
		return nil, h.svc.PutUserPolicy(q.ctx, q.caller.Account, name, q.get("PolicyName"), q.get("PolicyDocument"))
	},
	"GetUserPolicy": func(h *Handler, q *request) (any, error) {
		name := q.get("UserName")
		if err := h.authorizeUser(q, name); err != nil {
			return nil, err
		}
		p, err := h.svc.GetUserPolicy(q.ctx, q.caller.Account, name, q.get("PolicyName"))
		if err != nil {
			return nil, err
		}
		return &struct {
			UserName       string `xml:"UserName"`
			PolicyName     string `xml:"PolicyName"`
			PolicyDocument string `xml:"PolicyDocument"`
		}{p.UserName, p.PolicyName, encodeDocument(p.PolicyDocument)}, nil
	},
	"DeleteUserPolicy": func(h *Handler, q *request) (any, error) {
		name := q.get("UserName")
		if err := h.authorizeUser(q, name); err != nil {
			return nil, err
		}
		return nil, h.svc.DeleteUserPolicy(q.ctx, q.caller.Account, name, q.get("PolicyName"))
	},
}

var stsOps = map[string]func(*Handler, *request) (any, error){
	// GetCallerIdentity needs no permission, as in AWS.
	"GetCallerIdentity": func(h *Handler, q *request) (any, error) {
		ci, err := h.svc.GetCallerIdentity(q.ctx, q.caller)
		if err != nil {
			return nil, err
		}
		return &struct {
			Arn     string `xml:"Arn"`
			UserID  string `xml:"UserId"`
			Account string `xml:"Account"`
		}{ci.ARN, ci.UserID, ci.Account}, nil
	},
}

// authorizeUser validates a user name, then authorizes the call on the
// user's ARN, so a malformed name never becomes part of a resource.
func (h *Handler) authorizeUser(q *request, name string) error {
	if err := checkUserName("UserName", name); err != nil {
		return err
	}
	return h.authorize(q, UserARN(q.caller.Account, name))
}

func maxItems(q *request) (int, error) {
	s := q.get("MaxItems")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return 0, validation("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", s)
	}
	return n, nil
}

// encodeDocument percent-encodes a policy document as IAM returns it
// (RFC 3986: spaces as %20, which the CLI decodes).
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// userXML is an IAM User; the root (GetUser without a name) has only an
// id and an ARN, and a user of the identities file no creation time.
type userXML struct {
	Path       string `xml:"Path,omitempty"`
	UserName   string `xml:"UserName,omitempty"`
	UserID     string `xml:"UserId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate,omitempty"`
}

func userXMLOf(u User) userXML {
	x := userXML{Path: u.Path, UserName: u.UserName, UserID: u.UserID, Arn: u.ARN}
	if !u.CreatedTime.IsZero() {
		x.CreateDate = isoTime(u.CreatedTime)
	}
	return x
}

type listUsersResult struct {
	Users struct {
		Member []userXML `xml:"member"`
	} `xml:"Users"`
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

type accessKeyXML struct {
	UserName        string `xml:"UserName"`
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string `xml:"Status"`
	SecretAccessKey string `xml:"SecretAccessKey,omitempty"`
	CreateDate      string `xml:"CreateDate"`
}

type listAccessKeysResult struct {
	AccessKeyMetadata struct {
		Member []accessKeyXML `xml:"member"`
	} `xml:"AccessKeyMetadata"`
	IsTruncated bool `xml:"IsTruncated"`
}

type errorBody struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

type errorResponse struct {
	XMLName   xml.Name  `xml:"ErrorResponse"`
	NS        string    `xml:"xmlns,attr"`
	Error     errorBody `xml:"Error"`
	RequestID string    `xml:"RequestId"`
}

// response is ACTIONResponse: ACTIONResult (when the action has one) and
// ResponseMetadata.
type response struct {
	ns, action, requestID string
	result                any
}

func (r response) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	start := xml.StartElement{Name: xml.Name{Local: r.action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: r.ns}}}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if r.result != nil {
		if err := e.EncodeElement(r.result, xml.StartElement{Name: xml.Name{Local: r.action + "Result"}}); err != nil {
			return err
		}
	}
	md := struct {
		RequestID string `xml:"RequestId"`
	}{r.requestID}
	if err := e.EncodeElement(md, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

func writeXML(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(xml.Header + `<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>encoding the response failed</Message></Error></ErrorResponse>`)
	}
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
