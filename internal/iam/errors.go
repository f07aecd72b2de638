package iam

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/arca-repo/arca/internal/apierr"
)

// Error codes of the IAM and STS query APIs.
const (
	CodeNoSuchEntity          = "NoSuchEntity"
	CodeEntityAlreadyExists   = "EntityAlreadyExists"
	CodeDeleteConflict        = "DeleteConflict"
	CodeLimitExceeded         = "LimitExceeded"
	CodeMalformedPolicy       = "MalformedPolicyDocument"
	CodeValidation            = "ValidationError"
	CodeAccessDenied          = "AccessDenied"
	CodeInvalidClientTokenID  = "InvalidClientTokenId"
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch"
	CodeMissingAuthentication = "MissingAuthenticationToken"
	CodeExpiredToken          = "ExpiredToken"
	CodeInvalidAction         = "InvalidAction"
	CodeServiceFailure        = "ServiceFailure"
)

// Error is an IAM/STS error as the query protocol reports it.
type Error struct {
	Code    string
	Status  int
	Message string
	Err     error // cause, logged for server faults, never sent
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Sender reports whether the client is at fault (Type Sender vs Receiver).
func (e *Error) Sender() bool { return e.Status < 500 }

func newErr(code string, status int, format string, args ...any) *Error {
	return &Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

func noSuchEntity(format string, args ...any) *Error {
	return newErr(CodeNoSuchEntity, http.StatusNotFound, format, args...)
}

func validation(format string, args ...any) *Error {
	return newErr(CodeValidation, http.StatusBadRequest, format, args...)
}

// asError classifies any error as an IAM error: *Error passes through, and
// apierr kinds map to the IAM code closest to them.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	ae := apierr.As(err)
	switch ae.Kind {
	case apierr.NotFound:
		return &Error{Code: CodeNoSuchEntity, Status: http.StatusNotFound, Message: ae.Message}
	case apierr.Conflict:
		return &Error{Code: CodeEntityAlreadyExists, Status: http.StatusConflict, Message: ae.Message}
	case apierr.Validation:
		return &Error{Code: CodeValidation, Status: http.StatusBadRequest, Message: ae.Message}
	case apierr.AccessDenied:
		return &Error{Code: CodeAccessDenied, Status: http.StatusForbidden, Message: ae.Message}
	case apierr.MissingAuthentication:
		return &Error{Code: CodeMissingAuthentication, Status: http.StatusForbidden, Message: ae.Message}
	case apierr.UnrecognizedClient:
		return &Error{Code: CodeInvalidClientTokenID, Status: http.StatusForbidden, Message: ae.Message}
	case apierr.InvalidSignature:
		return &Error{Code: CodeSignatureDoesNotMatch, Status: http.StatusForbidden, Message: ae.Message}
	case apierr.ExpiredToken:
		return &Error{Code: CodeExpiredToken, Status: http.StatusForbidden, Message: ae.Message}
	case apierr.Throttling:
		return &Error{Code: "Throttling", Status: http.StatusBadRequest, Message: ae.Message}
	case apierr.Unavailable:
		// AWS's common error for a temporary failure; SDKs retry a 503.
		return &Error{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable, Message: ae.Message, Err: err}
	case apierr.StorageFull:
		return &Error{Code: CodeServiceFailure, Status: http.StatusInsufficientStorage, Message: ae.Message, Err: err}
	}
	return &Error{Code: CodeServiceFailure, Status: http.StatusInternalServerError,
		Message: "The request processing has failed because of an unknown error, exception or failure.", Err: err}
}

// setRetryHeaders tells the client when to retry an outage (Retry-After),
// as the other planes do.
func setRetryHeaders(h http.Header, err error) {
	var e *Error
	if errors.As(err, &e) && e.Err == nil {
		return // an IAM error of its own, never an outage
	}
	apierr.SetRetryHeaders(h, apierr.As(err))
}
