package npm

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
)

// put answers PUT /{pkg}: a publish (one version and its tarball as an
// attachment) or, without attachments, the packument npm deprecate sends
// back with changed "deprecated" messages.
func (h *Handler) put(req *format.Request, p pkgName) {
	r, w := req.R, req.W
	if err := h.authorizePublish(req, p); err != nil {
		h.refuse(req, err)
		return
	}
	// Authorized, and its declared size checked, before a byte is read; a
	// publish is checked as far as it can be before its tarball is
	// spooled, and cut off the moment it passes a limit.
	if r.ContentLength > h.maxDocument {
		h.refuse(req, apierr.New(apierr.TooLarge, "The publish request has %d bytes; at most %d are accepted (the tarball at most %d).",
			r.ContentLength, h.maxDocument, h.maxTarball))
		return
	}
	rb := http.MaxBytesReader(w, r.Body, h.maxDocument)
	body, err := decodePublish(rb, h.spoolDir, h.maxTarball, func(b *publishBody) error {
		if err := precheckPublish(p, b); err != nil {
			return err
		}
		// The tarball is about to be spooled: refuse it if it would eat
		// into the free-space reserve (the body's length bounds it).
		return h.svc.AdmitUpload(r.ContentLength)
	})
	if err != nil {
		h.refuseRead(req, rb, err)
		return
	}
	defer body.Close()
	if body.Attachments == 0 {
		h.deprecate(req, p, body)
		return
	}
	if err := checkNewName(p); err != nil {
		h.Error(w, err)
		return
	}
	u, err := validatePublish(p, body)
	if err != nil {
		h.Error(w, err)
		return
	}
	in, err := publishInput(p, u)
	if err != nil {
		h.Error(w, err)
		return
	}
	if _, err := h.svc.PublishFormat(r.Context(), req.Caller, req.Repo(), in); err != nil {
		if e := apierr.As(err); e.Kind == apierr.Conflict && e.ResourceType == apierr.ResPackageVersion {
			// npm's own wording first, then why (here, or upstream).
			writeError(w, http.StatusConflict, "You cannot publish over the previously published versions: "+u.Version+". "+e.Message)
			return
		}
		h.Error(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "id": p.Full(), "success": true})
}

// deprecate applies the "deprecated" messages of a PUT packument that
// differ from the stored manifests; every other change is ignored.
func (h *Handler) deprecate(req *format.Request, p pkgName, body *publishBody) {
	w := req.W
	if body.Name != "" && body.Name != p.Full() {
		h.Error(w, apierr.Invalid("The document names package '%s' but was sent to '%s'.", body.Name, p.Full()))
		return
	}
	d, err := h.doc(req, p)
	if err != nil {
		h.Error(w, err)
		return
	}
	stored := make(map[string]manifest, len(d.versions))
	for i := range d.versions {
		stored[d.versions[i].version] = d.versions[i].manifest
	}
	for _, c := range deprecations(body.Versions, stored) {
		base := stored[c.Version]
		msg := c.Message
		err := h.svc.UpdateFormatMetadata(req.R.Context(), req.Caller, req.Repo(), "npm", p.Scope, p.Name, c.Version,
			func(current []byte) ([]byte, error) {
				if len(current) == 0 {
					// A version without a stored manifest keeps the one
					// packuments describe it with.
					b, err := storedManifest(base)
					if err != nil {
						return nil, err
					}
					current = b
				}
				return setDeprecated(current, msg)
			})
		if err != nil {
			h.Error(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "id": p.Full()})
}

// refuse answers a write refused before a byte of its body was read.
func (h *Handler) refuse(req *format.Request, err error) { h.refuseRead(req, nil, err) }

// refuseRead answers a write refused while its body, read through rb, was
// being read.
func (h *Handler) refuseRead(req *format.Request, rb io.Reader, err error) {
	format.Refuse(req.W, req.R, rb, func() { h.Error(req.W, err) })
}

// maxTagBody bounds a dist-tag write's body (a JSON string).
const maxTagBody = 64 << 10

// distTags answers /-/package/{pkg}/dist-tags[/{tag}].
func (h *Handler) distTags(req *format.Request, p pkgName, tag string) {
	r, w := req.R, req.W
	switch {
	case tag == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		h.distTagsRead(req, p)
		return
	case tag == "" || (r.Method != http.MethodPut && r.Method != http.MethodPost && r.Method != http.MethodDelete):
		h.notAllowed(req)
		return
	}
	// A tag is checked where it is set; one stored under older rules can
	// still be removed.
	if r.Method != http.MethodDelete {
		if err := checkTag(tag); err != nil {
			h.Error(w, err)
			return
		}
	}
	if err := h.authorizePublish(req, p); err != nil {
		h.Error(w, err)
		return
	}
	if r.Method == http.MethodDelete {
		if err := h.svc.DeleteDistTag(r.Context(), req.Caller, req.Repo(), "npm", p.Scope, p.Name, tag); err != nil {
			h.Error(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "id": p.Full()})
		return
	}
	version, err := decodeTagBody(http.MaxBytesReader(w, r.Body, maxTagBody))
	if err != nil {
		h.Error(w, err)
		return
	}
	if err := h.svc.PutDistTag(r.Context(), req.Caller, req.Repo(), "npm", p.Scope, p.Name, tag, version); err != nil {
		h.Error(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "id": p.Full()})
}

// decodeTagBody reads the version a dist-tag write points the tag at: a
// JSON string, as npm sends it.
func decodeTagBody(r io.Reader) (string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", apierr.Invalid("The dist-tag body is too large.")
		}
		return "", apierr.Invalid("Reading the dist-tag body: %v", err)
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return "", apierr.Invalid("The body of a dist-tag write must be a JSON string naming a version.")
	}
	if !validVersion(v) {
		return "", apierr.Invalid("'%s' is not a valid SemVer version.", v)
	}
	return v, nil
}
