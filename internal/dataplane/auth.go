package dataplane

import (
	"encoding/base64"
	"net/http"
	"strings"
)

// bearerToken extracts the authorization token from the header forms the
// package managers send (reference/dataplane.md §2):
//
//	Authorization: Bearer TOKEN        npm, gem push, swift
//	Authorization: Basic b64(USER:TOKEN) pip, twine, maven, nuget, bundler, netrc (any user)
//	Authorization: TOKEN               cargo (no scheme)
//
// It returns "" when the request carries none.
func bearerToken(r *http.Request) string {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return ""
	}
	scheme, rest, found := strings.Cut(h, " ")
	switch {
	case found && strings.EqualFold(scheme, "Bearer"):
		return strings.TrimSpace(rest)
	case found && strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
		if err != nil {
			return ""
		}
		_, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return ""
		}
		return pass
	case !found:
		return h // a bare token, as cargo sends it
	}
	return ""
}
