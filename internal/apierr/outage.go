package apierr

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"syscall"
)

// UnavailableRetryAfter is the Retry-After, in seconds, of an Unavailable
// error that names none: long enough for a database restart or a fail-over
// to make progress, short enough that a retrying client is not idle long.
const UnavailableRetryAfter = 2

// The dependencies an outage or a full disk is reported about, as messages
// name them. Never a host, a path or a driver's text: those stay in the
// cause, which is logged and never sent.
const (
	DepMeta = "the metadata database"
	DepBlob = "the blob store"
	// DepDisk is the data directory's file system when no store can be
	// named (a spooled upload, a lock file).
	DepDisk = "the server"
)

// Outage is an Unavailable error: dep cannot be reached.
func Outage(dep string, cause error) *Error {
	return &Error{Kind: Unavailable, Err: cause,
		Message: fmt.Sprintf("Service unavailable: %s cannot be reached. Try again later.", dep)}
}

// DiskFull is a StorageFull error: a write to dep failed for want of space.
func DiskFull(dep string, cause error) *Error {
	return &Error{Kind: StorageFull, Err: cause,
		Message: fmt.Sprintf("Insufficient storage: %s's disk is full. An administrator must free space "+
			"(delete or dispose of package versions, then run arca gc).", dep)}
}

// IsNoSpace reports whether err is a write refused for want of space:
// ENOSPC, or EDQUOT (a quota is a full disk to the process it binds).
func IsNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// IsUnreachable reports whether err says a network peer could not be
// reached or dropped the connection: refused, reset, unreachable, a broken
// pipe, a name that does not resolve, or a network operation that timed
// out. A cancelled context is not one: the caller gave up, the peer did not.
func IsUnreachable(err error) bool {
	if err == nil {
		return false
	}
	for _, e := range []syscall.Errno{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
		syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ENETDOWN, syscall.EHOSTDOWN, syscall.ETIMEDOUT} {
		if errors.Is(err, e) {
			return true
		}
	}
	var op *net.OpError
	var dns *net.DNSError
	if errors.As(err, &op) || errors.As(err, &dns) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// SetRetryHeaders sets the headers that tell a client when to retry e:
// Retry-After (seconds) for every dialect, and X-Amz-Retry-After
// (milliseconds), which the AWS SDKs read to pace their retries. Transports
// of every dialect call it before writing the status.
func SetRetryHeaders(h http.Header, e *Error) {
	secs := e.RetryAfter
	switch {
	case e.Kind == Unavailable && secs <= 0:
		secs = UnavailableRetryAfter
	case e.Kind != Throttling && e.Kind != Unavailable:
		return
	}
	if secs <= 0 {
		return
	}
	h.Set("Retry-After", strconv.Itoa(secs))
	h.Set("X-Amz-Retry-After", strconv.Itoa(secs*1000))
}
