package ui

import (
	"bytes"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/audit"
	"github.com/arca-repo/arca/internal/auth"
)

// view is what every template gets.
type view struct {
	Title   string
	Base    string
	Session *session
	CSRF    string
	Crumbs  []crumb
	Page    any
	Status  int
	Message string
}

type crumb struct{ Name, URL string }

// pageFunc renders one signed-in page into v (Title, Crumbs, Page) and
// names its template, or returns an error whose kind picks the status.
type pageFunc func(r *http.Request, s *session, v *view) (string, error)

// page wraps a pageFunc: it sends a visitor without a session to the
// sign-in form (coming back afterwards), and renders errors as pages.
func (h *Handler) page(fn pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := h.session(r)
		if s == nil {
			http.Redirect(w, r, h.base+"signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		v := &view{Base: h.base, Session: s, CSRF: h.csrf(s)}
		name, err := fn(r, s, v)
		if err != nil {
			h.fail(w, r, s, err)
			return
		}
		h.render(w, http.StatusOK, name, v)
	}
}

// fail renders an error page whose status comes from the error's kind, as
// the API's would; server faults are logged and not described.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	e := apierr.As(err)
	status := e.Kind.Status()
	msg := e.Message
	if status >= 500 {
		h.o.Log.Error("ui page failed", "path", r.URL.Path, "err", err)
		msg = "Something went wrong on the server; the log has the details."
	}
	if status == http.StatusForbidden {
		msg = "You are not allowed to see this: " + msg
	}
	h.errorPage(w, r, s, status, msg)
}

func (h *Handler) errorPage(w http.ResponseWriter, _ *http.Request, s *session, status int, msg string) {
	v := &view{Base: h.base, Session: s, Title: http.StatusText(status), Status: status, Message: msg}
	if s != nil {
		v.CSRF = h.csrf(s)
	}
	h.render(w, status, "error", v)
}

// render executes a page into a buffer first, so a template error is a
// clean 500, never half a page.
func (h *Handler) render(w http.ResponseWriter, status int, name string, v *view) {
	var buf bytes.Buffer
	if err := h.tmpl[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		h.o.Log.Error("ui template failed", "template", name, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("internal error\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (h *Handler) parseTemplates() error {
	funcs := template.FuncMap{
		"bytes": humanBytes,
		"time":  func(t time.Time) string { return formatTime(t) },
		"iso": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		"add": func(a, b int) int { return a + b },
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	h.tmpl = map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return err
		}
		h.tmpl[base] = t
	}
	return nil
}

// signinForm shows the sign-in form (or goes on to next when signed in).
func (h *Handler) signinForm(w http.ResponseWriter, r *http.Request) {
	next := h.safeNext(r.URL.Query().Get("next"))
	if h.session(r) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.showSignin(w, r, http.StatusOK, next, "", "")
}

type signinPage struct {
	Next, KeyID, Error, Token string
}

func (h *Handler) showSignin(w http.ResponseWriter, r *http.Request, status int, next, keyID, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	v := &view{Base: h.base, Title: "Sign in", Page: signinPage{Next: next, KeyID: keyID, Error: msg, Token: h.signinToken(w, r)}}
	h.render(w, status, "signin", v)
}

// maxForm bounds a posted form; sign-in and sign-out forms are tiny.
const maxForm = 8 << 10

// signin checks the CSRF token and the key pair, then starts a session.
func (h *Handler) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, nil, http.StatusBadRequest, "The form could not be read.")
		return
	}
	next := h.safeNext(r.PostFormValue("next"))
	if !h.sameOrigin(r) || !h.checkSigninToken(r) {
		h.showSignin(w, r, http.StatusForbidden, next, "", "The form expired or came from another site. Please sign in again.")
		return
	}
	client := clientKey(r)
	if !h.limit.allow(client) {
		w.Header().Set("Retry-After", "5")
		h.showSignin(w, r, http.StatusTooManyRequests, next, "", "Too many failed sign-ins from your address. Wait a few seconds and try again.")
		return
	}
	akid := strings.TrimSpace(r.PostFormValue("access_key_id"))
	cred, err := h.authenticate(r, akid, r.PostFormValue("secret_access_key"))
	if err != nil {
		if !errors.Is(err, errBadKeys) {
			h.fail(w, r, nil, err)
			return
		}
		h.limit.fail(client)
		h.auditSignin(w, r, auth.Principal{}, akid, false)
		h.o.Log.Info("ui sign-in refused", "access_key_id", akid, "client", client)
		h.showSignin(w, r, http.StatusUnauthorized, next, akid, "The access key id or the secret access key is wrong.")
		return
	}
	value, _ := h.newSession(cred)
	http.SetCookie(w, h.cookie("session", value, h.o.SessionLifetime))
	h.clearCookie(w, "signin")
	h.auditSignin(w, r, cred.Principal, akid, true)
	h.o.Log.Info("ui sign-in", "principal", cred.Principal.ARN, "access_key_id", akid)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signout ends the session (its cookie; the key itself stays valid).
func (h *Handler) signout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, nil, http.StatusBadRequest, "The form could not be read.")
		return
	}
	s := h.session(r)
	if s == nil {
		http.Redirect(w, r, h.base+"signin", http.StatusSeeOther)
		return
	}
	if !h.sameOrigin(r) || !h.checkCSRF(r, s) {
		h.errorPage(w, r, s, http.StatusForbidden, "The sign-out form expired or came from another site; use the Sign out button again.")
		return
	}
	h.clearCookie(w, "session")
	http.Redirect(w, r, h.base+"signin", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in destination inside the UI (no open
// redirect).
func (h *Handler) safeNext(next string) string {
	if !strings.HasPrefix(next, h.base) || strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, "//") {
		return h.base
	}
	return next
}

// auditSignin records a sign-in as CloudTrail records a console sign-in
// (event ConsoleLogin from signin.amazonaws.com), refused ones included,
// with the access key id the form named (not authenticated when refused).
func (h *Handler) auditSignin(w http.ResponseWriter, r *http.Request, p auth.Principal, akid string, ok bool) {
	if !h.o.Audit.Wants(false, !ok) {
		return
	}
	e := audit.New(w, r, "ConsoleLogin", "AwsConsoleSignIn", h.o.Now())
	e.EventSource = "signin.amazonaws.com"
	e.AWSRegion = h.o.Service.Region()
	if len(akid) > 128 {
		akid = akid[:128]
	}
	e.UserIdentity = audit.Identity(p.Account, p.ARN, akid)
	e.ReadOnly = false
	if !ok {
		e.ErrorCode = "FailedAuthentication"
		e.ErrorMessage = "Failed authentication" // CloudTrail's words for a refused console sign-in
	}
	h.o.Audit.Log(e)
}
