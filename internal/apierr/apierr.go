// Package apierr owns arca's one error type. Every layer returns *Error (or
// wraps one); only the transport turns a Kind into an HTTP status and a wire
// exception name, through the single table in this package.
package apierr

import (
	"errors"
	"fmt"
	"net/http"
)

// Kind classifies an error. The kind, not the code that raised it, decides the
// HTTP status and the exception name a client sees.
type Kind int

const (
	// Internal is the zero kind: anything not classified is a server fault.
	Internal Kind = iota
	Validation
	NotFound
	Conflict
	QuotaExceeded
	AccessDenied
	Throttling
	// Authentication failures (not in the CodeArtifact model; generic AWS errors).
	MissingAuthentication
	UnrecognizedClient
	InvalidSignature
	ExpiredToken
	// UnknownOperation is a path/method no operation answers.
	UnknownOperation
	// TooLarge is a request body over a size limit (HTTP 413), refused
	// before or while it is read.
	TooLarge
	// Unavailable is a dependency outage (the metadata database or the
	// blob store cannot be reached): HTTP 503 with Retry-After, which every
	// AWS SDK retries. Not in CodeArtifact's model; the name is the one AWS
	// services use for a 503.
	Unavailable
	// StorageFull is a disk without room: the free-space reserve refuses an
	// upload, or a write failed with ENOSPC. HTTP 507, which no SDK retries
	// (space comes back only when an operator frees it); the exception is
	// the model's ServiceQuotaExceededException, so SDKs decode it typed.
	StorageFull
)

type kindInfo struct {
	exception string
	status    int
}

var kinds = map[Kind]kindInfo{
	Internal:              {"InternalServerException", http.StatusInternalServerError},
	Validation:            {"ValidationException", http.StatusBadRequest},
	NotFound:              {"ResourceNotFoundException", http.StatusNotFound},
	Conflict:              {"ConflictException", http.StatusConflict},
	QuotaExceeded:         {"ServiceQuotaExceededException", http.StatusPaymentRequired},
	AccessDenied:          {"AccessDeniedException", http.StatusForbidden},
	Throttling:            {"ThrottlingException", http.StatusTooManyRequests},
	MissingAuthentication: {"MissingAuthenticationTokenException", http.StatusForbidden},
	UnrecognizedClient:    {"UnrecognizedClientException", http.StatusForbidden},
	InvalidSignature:      {"InvalidSignatureException", http.StatusForbidden},
	ExpiredToken:          {"ExpiredTokenException", http.StatusForbidden},
	UnknownOperation:      {"UnknownOperationException", http.StatusNotFound},
	TooLarge:              {"RequestEntityTooLargeException", http.StatusRequestEntityTooLarge},
	Unavailable:           {"ServiceUnavailableException", http.StatusServiceUnavailable},
	StorageFull:           {"ServiceQuotaExceededException", http.StatusInsufficientStorage},
}

// Exception is the wire exception name for k.
func (k Kind) Exception() string { return kinds[k].exception }

// Status is the HTTP status for k.
func (k Kind) Status() int { return kinds[k].status }

func (k Kind) String() string { return k.Exception() }

// ResourceType values, as the model's ResourceType enum spells them.
const (
	ResDomain         = "domain"
	ResRepository     = "repository"
	ResPackage        = "package"
	ResPackageVersion = "package-version"
	ResAsset          = "asset"
)

// Validation reasons (ValidationExceptionReason).
const (
	ReasonCannotParse      = "CANNOT_PARSE"
	ReasonFieldValidation  = "FIELD_VALIDATION_FAILED"
	ReasonUnknownOperation = "UNKNOWN_OPERATION"
	ReasonOther            = "OTHER"
)

// Error is arca's error. Message is shown to the client; Err (if any) is the
// underlying cause, logged but never sent.
type Error struct {
	Kind         Kind
	Message      string
	ResourceID   string
	ResourceType string
	Reason       string // ValidationException only
	RetryAfter   int    // Throttling and Unavailable, seconds (0: the kind's default)
	Err          error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind.Exception(), e.Message, e.Err)
	}
	return e.Kind.Exception() + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind k with a formatted message.
func New(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Invalid is a ValidationException with reason FIELD_VALIDATION_FAILED.
func Invalid(format string, args ...any) *Error {
	e := New(Validation, format, args...)
	e.Reason = ReasonFieldValidation
	return e
}

// Missing is a ResourceNotFoundException for a resource of type typ named id.
func Missing(typ, id, format string, args ...any) *Error {
	e := New(NotFound, format, args...)
	e.ResourceType, e.ResourceID = typ, id
	return e
}

// Conflicting is a ConflictException about a resource of type typ named id.
func Conflicting(typ, id, format string, args ...any) *Error {
	e := New(Conflict, format, args...)
	e.ResourceType, e.ResourceID = typ, id
	return e
}

// Wrap returns an Internal error carrying cause, with a generic message.
// A cause that is a full disk (see IsNoSpace) is never an internal error:
// it becomes StorageFull about the server's disk, unless a store's edge
// has already said which disk (DiskFull). An outage (Unavailable) a store's
// edge classified passes through too. Network failures are not classified
// here: a request body that fails to read is the client's, not an outage.
func Wrap(cause error, format string, args ...any) *Error {
	var classified *Error
	if errors.As(cause, &classified) && (classified.Kind == StorageFull || classified.Kind == Unavailable) {
		return classified
	}
	if IsNoSpace(cause) {
		return DiskFull(DepDisk, fmt.Errorf(format+": %w", append(args, cause)...))
	}
	e := New(Internal, format, args...)
	e.Err = cause
	return e
}

// As returns err as *Error, classifying unknown errors as Internal (a full
// disk as StorageFull, as Wrap does).
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if IsNoSpace(err) {
		return DiskFull(DepDisk, err)
	}
	return &Error{Kind: Internal, Message: "An internal error occurred.", Err: err}
}

// KindOf returns the kind of err (Internal for unclassified errors).
func KindOf(err error) Kind { return As(err).Kind }

// Is reports whether err is an *Error of kind k.
func Is(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}
