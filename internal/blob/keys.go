package blob

import "github.com/arca-repo/arca/internal/apierr"

// Blob keys: every backend validates namespaces and digests the same way,
// before they reach a file name or an object key.

const (
	maxNamespaceLen = 64
	sha256HexLen    = 64
)

// ValidNamespace reports whether ns matches [A-Za-z0-9_-]{1,64}. Written out
// rather than as a regexp because it is on every request's path.
func ValidNamespace(ns string) bool {
	if len(ns) == 0 || len(ns) > maxNamespaceLen {
		return false
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// ValidSHA256 reports whether sum is 64 lowercase hex digits. Uppercase is
// rejected rather than folded so that one digest has exactly one file name or key.
func ValidSHA256(sum string) bool {
	if len(sum) != sha256HexLen {
		return false
	}
	for i := 0; i < len(sum); i++ {
		c := sum[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// CheckKey validates a namespace and digest taken from a caller, returning
// a Validation error that names which one is wrong.
func CheckKey(ns, sum string) error {
	if !ValidNamespace(ns) {
		return invalidNamespace(ns)
	}
	if !ValidSHA256(sum) {
		return apierr.Invalid("Invalid SHA-256 %q: expected 64 lowercase hex digits.", truncate(sum))
	}
	return nil
}

func invalidNamespace(ns string) error {
	return apierr.Invalid("Invalid blob namespace %q: expected 1-64 characters from [A-Za-z0-9_-].", truncate(ns))
}

// CheckPut validates the namespace and the optional expected digest of a
// Put, before any byte is read.
func CheckPut(ns, expectSHA256 string) error {
	if !ValidNamespace(ns) {
		return invalidNamespace(ns)
	}
	if expectSHA256 != "" && !ValidSHA256(expectSHA256) {
		return apierr.Invalid("Invalid expected SHA-256 %q: expected 64 lowercase hex digits.", truncate(expectSHA256))
	}
	return nil
}

// truncate bounds caller-supplied strings echoed in error messages.
func truncate(s string) string {
	const limit = 80
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
