// Package audit is arca's audit log: one JSON object per line, in the style
// of a CloudTrail event, appended to a file. The control plane logs every
// call it routes to an operation (accepted or refused) and the data plane
// every request; read-only events are kept only when reads are enabled,
// while writes and refusals always are.
//
// Events never carry secrets: the user identity names the access key id,
// never the secret; request parameters are only the operation's scalar
// query and header members (no request body, so no policy document), minus
// pagination tokens; authorization tokens are never recorded.
package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// EventSource is the service every event names.
const EventSource = "codeartifact.amazonaws.com"

// Event types.
const (
	TypeAPICall   = "AwsApiCall" // a control-plane operation
	TypeDataPlane = "DataPlane"  // a package-manager request to a repository endpoint
)

// User identity types.
const (
	IdentityRoot    = "Root"
	IdentityIAMUser = "IAMUser"
	IdentityUnknown = "Unknown"
)

// TimeFormat is eventTime's layout: RFC 3339, UTC, milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Event is one audit record.
type Event struct {
	EventTime         string            `json:"eventTime"`
	EventSource       string            `json:"eventSource"`
	EventName         string            `json:"eventName"`
	AWSRegion         string            `json:"awsRegion,omitempty"`
	UserIdentity      UserIdentity      `json:"userIdentity"`
	SourceIPAddress   string            `json:"sourceIPAddress"`
	UserAgent         string            `json:"userAgent"`
	RequestParameters map[string]string `json:"requestParameters,omitempty"`
	Resources         []Resource        `json:"resources,omitempty"`
	ErrorCode         string            `json:"errorCode,omitempty"`
	ErrorMessage      string            `json:"errorMessage,omitempty"`
	RequestID         string            `json:"requestID"`
	EventType         string            `json:"eventType"`
	ReadOnly          bool              `json:"readOnly"`
}

// UserIdentity is who made the request. It never holds a secret.
type UserIdentity struct {
	Type        string `json:"type"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
}

// Resource is one resource an event acted on.
type Resource struct {
	ARN string `json:"ARN"`
}

// Identity classifies a principal by its ARN: arn:aws:iam::ACCOUNT:root is
// Root, …:user/NAME an IAMUser, anything else (no principal) Unknown.
func Identity(account, arn, accessKeyID string) UserIdentity {
	typ := IdentityUnknown
	switch {
	case arn == "":
	case strings.HasSuffix(arn, ":root"):
		typ = IdentityRoot
	case strings.Contains(arn, ":user/"):
		typ = IdentityIAMUser
	}
	return UserIdentity{Type: typ, ARN: arn, AccountID: account, AccessKeyID: accessKeyID}
}

// New starts an event for r: time, source, client address, user agent and
// the request id the server put in the response's x-amzn-RequestId header.
func New(w http.ResponseWriter, r *http.Request, name, eventType string, at time.Time) Event {
	return Event{
		EventTime:       at.UTC().Format(TimeFormat),
		EventSource:     EventSource,
		EventName:       name,
		SourceIPAddress: SourceIP(r),
		UserAgent:       r.UserAgent(),
		RequestID:       w.Header().Get("x-amzn-RequestId"),
		EventType:       eventType,
		ReadOnly:        ReadOnly(name),
	}
}

// SourceIP is the address of the client that connected, without its port.
// X-Forwarded-For is deliberately ignored: any client can set it.
func SourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// AccessKeyID is the access key id a SigV4 request claims (header or
// presigned query), "" if none can be parsed. It is not authenticated.
func AccessKeyID(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "AWS4-HMAC-SHA256 ") {
		if i := strings.Index(h, "Credential="); i >= 0 {
			cred = h[i+len("Credential="):]
		}
	}
	akid, _, ok := strings.Cut(cred, "/")
	if !ok || akid == "" || len(akid) > 128 {
		return ""
	}
	for _, c := range akid {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return akid
}

// ReadOnly reports whether an operation (or data-plane action) only reads:
// Describe*, Get* and List* operations and ReadFromRepository.
// GetAuthorizationToken is a write: it mints a credential.
func ReadOnly(op string) bool {
	if op == "GetAuthorizationToken" {
		return false
	}
	return op == "ReadFromRepository" || strings.HasPrefix(op, "Describe") ||
		strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "List")
}

// Logger records events.
type Logger interface {
	// Wants reports whether an event of this kind would be written, so
	// callers on hot paths build only the events that are (a download with
	// auditing off, or of reads, must not pay for one).
	Wants(readOnly, failed bool) bool
	// Log records e.
	Log(Event)
}

// Discard is the Logger used when no audit log is configured.
var Discard Logger = discard{}

type discard struct{}

func (discard) Wants(bool, bool) bool { return false }
func (discard) Log(Event)             {}

// BufferSize is how many events may wait for the writer before Log blocks.
const BufferSize = 4096

// FileLogger appends events to a file through one writer goroutine.
//
// Log hands the event to a buffered channel and returns; when the buffer is
// full (the disk cannot keep up), Log blocks until there is room: an audit
// log must not lose entries, so a slow disk slows requests rather than
// dropping records. The writer writes each batch with one write(2) on an
// O_APPEND descriptor, so a crash loses no line it has written and never
// leaves half a line from a batch boundary; Close flushes and fsyncs.
type FileLogger struct {
	logReads bool
	ch       chan Event
	done     chan struct{}
	f        *os.File

	mu     sync.RWMutex // held (read) by Log while sending, (write) by Close
	closed bool
	err    error // first write error, reported by Close
}

// Wants implements Logger: writes and failures always, successful reads
// only with logReads.
func (l *FileLogger) Wants(readOnly, failed bool) bool { return failed || !readOnly || l.logReads }

// Open opens (creating it with mode 0600) the audit log at path for
// appending. With logReads false, read-only events that succeeded are not
// written.
func Open(path string, logReads bool) (*FileLogger, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	l := &FileLogger{logReads: logReads, ch: make(chan Event, BufferSize), done: make(chan struct{}), f: f}
	go l.run()
	return l, nil
}

// Log queues e, blocking while the buffer is full. Events logged after
// Close are ignored.
func (l *FileLogger) Log(e Event) {
	if !l.Wants(e.ReadOnly, e.ErrorCode != "") {
		return
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return
	}
	l.ch <- e
}

func (l *FileLogger) run() {
	defer close(l.done)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // one object and a newline per Encode
	enc.SetEscapeHTML(false)
	flush := func() {
		if buf.Len() == 0 {
			return
		}
		if _, err := l.f.Write(buf.Bytes()); err != nil && l.err == nil {
			l.err = err
		}
		buf.Reset()
	}
	write := func(e Event) {
		n := buf.Len()
		if err := enc.Encode(e); err != nil {
			buf.Truncate(n)
			if l.err == nil {
				l.err = err
			}
		}
		if buf.Len() >= 64<<10 { // whole lines only, in each write
			flush()
		}
	}
	for e := range l.ch {
		write(e)
		for n := len(l.ch); n > 0; n-- { // the rest of the batch
			write(<-l.ch)
		}
		flush()
	}
}

// Close writes every queued event, syncs the file to disk and closes it.
// It returns the first error the log met.
func (l *FileLogger) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errors.New("audit: log already closed")
	}
	l.closed = true
	close(l.ch)
	l.mu.Unlock()
	<-l.done
	err := l.err
	if serr := l.f.Sync(); err == nil {
		err = serr
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}
