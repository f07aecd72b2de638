package s3

import (
	"errors"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/arca-repo/arca/internal/apierr"
)

// wrapErr classifies a failed S3 request at the store's edge: the server
// unreachable, or answering 5xx after the SDK's retries, is an outage
// (apierr.Unavailable, which clients retry); a server out of space is
// apierr.StorageFull; anything else is internal. The cause, with the
// endpoint and key, is logged, never sent.
func wrapErr(err error, format string, args ...any) *apierr.Error {
	e := apierr.Wrap(err, format, args...)
	if e.Kind != apierr.Internal {
		return e
	}
	switch {
	case isFull(err):
		return apierr.DiskFull(apierr.DepBlob, e)
	case isOutage(err):
		return apierr.Outage(apierr.DepBlob, e)
	}
	return e
}

// isOutage reports whether err says the S3 server cannot serve now: the
// request could not be sent or its answer not read (refused, reset,
// timeouts), or the server answered 500, 502, 503 or 504 (SlowDown
// included) every time the SDK tried.
func isOutage(err error) bool {
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) || apierr.IsUnreachable(err) {
		return true
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout":
			return true
		}
	}
	return false
}

// isFull reports whether the S3 server says it has no room (507, or the
// codes S3-compatible servers use for it).
func isFull(err error) bool {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusInsufficientStorage {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "XMinioStorageFull", "StorageFull":
			return true
		}
	}
	return false
}
