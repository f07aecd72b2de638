package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/arca-repo/arca/internal/apierr"
)

// input is a request decoded and validated against its operation's model:
// scalar members from the query string and headers by member name, and the
// JSON body (if the operation has one) for typed decoding.
type input struct {
	op     *opModel
	scalar map[string]string
	body   []byte
}

// decodeInput validates r (whose JSON body, if any, was read into body)
// against op's model. Every violated constraint is reported in one
// ValidationException, as AWS does.
func decodeInput(op *opModel, r *http.Request, body []byte) (*input, error) {
	in := &input{op: op, scalar: map[string]string{}, body: body}
	if err := checkJSONDocument(body); err != nil {
		return nil, err
	}
	var errs []string
	var doc map[string]json.RawMessage
	q := opQuery(op, r.URL.RawQuery)
	for _, p := range op.Params {
		switch p.Loc {
		case locQuery, locHeader:
			var v string
			var ok bool
			if p.Loc == locQuery {
				var n int
				v, n = q.get(p.Wire)
				if n > 1 {
					// Which one would count is anybody's guess (proxies and
					// servers disagree), so neither does.
					errs = append(errs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must be sent once; query parameter '%s' appears %d times", p.Member, p.Wire, n))
					continue
				}
				ok = n > 0
			} else {
				v = r.Header.Get(p.Wire)
				ok = v != ""
			}
			if !ok {
				if p.Required {
					errs = append(errs, nullMsg(p.Member))
				}
				continue
			}
			in.scalar[p.Member] = v
			validateScalar(p.Shape, v, p.Member, &errs)
		case locBody:
			if doc == nil {
				doc = map[string]json.RawMessage{}
				if len(bytes.TrimSpace(body)) > 0 {
					if err := json.Unmarshal(body, &doc); err != nil {
						e := apierr.New(apierr.Validation, "Could not parse request body into json: %v", err)
						e.Reason = apierr.ReasonCannotParse
						return nil, e
					}
				}
			}
			raw, ok := doc[p.Member]
			if !ok || string(raw) == "null" {
				if p.Required {
					errs = append(errs, nullMsg(p.Member))
				}
				continue
			}
			var v any
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				errs = append(errs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must be valid JSON", p.Member))
				continue
			}
			validateValue(p.Shape, v, p.Member, &errs)
		}
	}
	if len(errs) > 0 {
		noun := "error"
		if len(errs) > 1 {
			noun = "errors"
		}
		return nil, apierr.Invalid("%d validation %s detected: %s", len(errs), noun, strings.Join(errs, "; "))
	}
	return in, nil
}

// S returns a scalar member ("" if absent).
func (in *input) S(member string) string { return in.scalar[member] }

// Has reports whether a scalar member was sent.
func (in *input) Has(member string) bool { _, ok := in.scalar[member]; return ok }

// I returns an integer member (validated already), or def if absent.
func (in *input) I(member string, def int64) int64 {
	v, ok := in.scalar[member]
	if !ok {
		return def
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

// B returns a boolean member (false if absent).
func (in *input) B(member string) bool { return in.scalar[member] == "true" }

// Body decodes the JSON body (validated already) into v.
func (in *input) Body(v any) error {
	if len(bytes.TrimSpace(in.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(in.body, v); err != nil {
		e := apierr.New(apierr.Validation, "Could not parse request body: %v", err)
		e.Reason = apierr.ReasonCannotParse
		return e
	}
	return nil
}

func nullMsg(path string) string {
	return fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", path)
}

func violation(v any, path, constraint string) string {
	return fmt.Sprintf("Value '%v' at '%s' failed to satisfy constraint: %s", v, path, constraint)
}

// validateScalar checks a query-string or header value of shape name.
func validateScalar(name, v, path string, errs *[]string) {
	s := shapeModels[name]
	switch s.Type {
	case "integer", "long":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			*errs = append(*errs, violation(v, path, "Member must be an integer"))
			return
		}
		checkRange(s, n, path, errs)
	case "boolean":
		if v != "true" && v != "false" {
			*errs = append(*errs, violation(v, path, "Member must be a boolean (true or false)"))
		}
	default:
		checkString(name, s, v, path, errs)
	}
}

// validateValue checks a decoded JSON value of shape name, recursively.
func validateValue(name string, v any, path string, errs *[]string) {
	s := shapeModels[name]
	bad := func(what string) {
		*errs = append(*errs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must be %s", path, what))
	}
	switch s.Type {
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("a string")
			return
		}
		checkString(name, s, str, path, errs)
	case "integer", "long":
		num, ok := v.(json.Number)
		n, err := num.Int64()
		if !ok || err != nil {
			bad("an integer")
			return
		}
		checkRange(s, n, path, errs)
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("a boolean")
		}
	case "timestamp":
		if _, ok := v.(json.Number); !ok {
			bad("a timestamp")
		}
	case "list":
		l, ok := v.([]any)
		if !ok {
			bad("a list")
			return
		}
		checkLen(s, len(l), path, errs)
		for i, e := range l {
			validateValue(s.Member, e, fmt.Sprintf("%s.%d.member", path, i+1), errs)
		}
	case "map":
		m, ok := v.(map[string]any)
		if !ok {
			bad("a map")
			return
		}
		checkLen(s, len(m), path, errs)
		for k, e := range m {
			validateScalar(s.Key, k, path+".key", errs)
			validateValue(s.Value, e, fmt.Sprintf("%s.%s", path, k), errs)
		}
	case "structure":
		m, ok := v.(map[string]any)
		if !ok {
			bad("a structure")
			return
		}
		for _, r := range s.Required {
			if m[r] == nil {
				*errs = append(*errs, nullMsg(path+"."+r))
			}
		}
		for k, e := range m {
			if sh, ok := s.Members[k]; ok && e != nil {
				validateValue(sh, e, path+"."+k, errs)
			}
		}
	}
}

// extraEnum are values arca accepts for an enum shape beyond the model's
// (the model stays as AWS publishes it): the package formats arca serves
// that CodeArtifact does not. The SDKs and the aws CLI send an unknown enum
// value unchanged.
var extraEnum = map[string][]string{
	"PackageFormat": {"go"},
}

func checkString(name string, s *shapeModel, v, path string, errs *[]string) {
	if !utf8.ValidString(v) {
		*errs = append(*errs, violation(v, path, "Member must be valid UTF-8"))
		return
	}
	if len(s.Enum) > 0 {
		for _, e := range s.Enum {
			if v == e {
				return
			}
		}
		for _, e := range extraEnum[name] {
			if v == e {
				return
			}
		}
		*errs = append(*errs, violation(v, path, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]"))
		return
	}
	n := utf8.RuneCountInString(v)
	if s.Min != nil && int64(n) < *s.Min {
		*errs = append(*errs, violation(v, path, fmt.Sprintf("Member must have length greater than or equal to %d", *s.Min)))
		return
	}
	if s.Max != nil && int64(n) > *s.Max {
		*errs = append(*errs, violation(truncate(v), path, fmt.Sprintf("Member must have length less than or equal to %d", *s.Max)))
		return
	}
	if s.Pattern == "" {
		return
	}
	if match, ok := fastPatterns[s.Pattern]; ok {
		if !match(v) {
			*errs = append(*errs, violation(truncate(v), path, "Member must satisfy regular expression pattern: "+s.Pattern))
		}
		return
	}
	if re := s.regexp(); re != nil && !re.MatchString(v) {
		*errs = append(*errs, violation(truncate(v), path, "Member must satisfy regular expression pattern: "+s.Pattern))
	}
}

func checkRange(s *shapeModel, n int64, path string, errs *[]string) {
	if s.Min != nil && n < *s.Min {
		*errs = append(*errs, violation(n, path, fmt.Sprintf("Member must have value greater than or equal to %d", *s.Min)))
	}
	if s.Max != nil && n > *s.Max {
		*errs = append(*errs, violation(n, path, fmt.Sprintf("Member must have value less than or equal to %d", *s.Max)))
	}
}

func checkLen(s *shapeModel, n int, path string, errs *[]string) {
	if s.Min != nil && int64(n) < *s.Min {
		*errs = append(*errs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", path, *s.Min))
	}
	if s.Max != nil && int64(n) > *s.Max {
		*errs = append(*errs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", path, *s.Max))
	}
}

// truncate keeps error messages short when a value is huge.
func truncate(v string) string {
	if len(v) > 300 {
		return v[:300] + "..."
	}
	return v
}

// checkJSONDocument refuses a JSON request body that is not one object
// (restJson1 maps a body to the operation's input structure: smithy's
// protocol tests have servers refuse "null", "10" or "[...]" as they refuse
// malformed JSON), and one in which an object names a key twice: parsers
// disagree on which value wins, so a document that means one thing to a
// policy checker and another to the code that applies it is refused
// outright. An empty body stands for no members.
func checkJSONDocument(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	cannot := func(format string, args ...any) error {
		e := apierr.New(apierr.Validation, "Could not parse request body into json: "+format, args...)
		e.Reason = apierr.ReasonCannotParse
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return cannot("%v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return cannot("the body must be a JSON object, not %s", jsonKind(tok))
	}
	if err := checkObjectKeys(dec, ""); err != nil {
		return cannot("%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return cannot("unexpected data after the top-level object")
	}
	return nil
}

// checkObjectKeys reads the rest of an object whose '{' was just read,
// refusing a key it has seen before, in it or (recursively) in any object
// it contains.
func checkObjectKeys(dec *json.Decoder, path string) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string) // the decoder guarantees a string key here
		if seen[key] {
			if path == "" {
				return fmt.Errorf("duplicate key '%s'", truncate(key))
			}
			return fmt.Errorf("duplicate key '%s' in '%s'", truncate(key), truncate(path))
		}
		seen[key] = true
		sub := key
		if path != "" {
			sub = path + "." + key
		}
		if err := checkValueKeys(dec, sub); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

// checkValueKeys reads one value, checking the keys of any object in it.
func checkValueKeys(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return checkObjectKeys(dec, path)
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := checkValueKeys(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}

// jsonKind names the kind of JSON value a first token starts.
func jsonKind(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		if t == '[' {
			return "an array"
		}
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "something else"
}

// queryParam is one query parameter an operation reads: its first value
// and how many times it was sent.
type queryParam struct {
	key, first string
	n          int
}

// opQueryParams is what opQuery found, in the order first seen.
type opQueryParams []queryParam

// get returns k's first value and how many times it was sent (0: absent).
func (q opQueryParams) get(k string) (string, int) {
	for i := range q {
		if q[i].key == k {
			return q[i].first, q[i].n
		}
	}
	return "", 0
}

// opQuery is r.URL.Query() restricted to the query parameters op reads: the
// same splitting, unescaping and refusals (a pair with ';' or a bad escape
// is dropped), but the values of other parameters (a presigned URL's
// X-Amz-*) are never decoded or kept.
func opQuery(op *opModel, raw string) opQueryParams {
	var q opQueryParams
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.IndexByte(pair, ';') >= 0 {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if escaped(k) {
			var err error
			if k, err = url.QueryUnescape(k); err != nil {
				continue
			}
		}
		if !readsQuery(op, k) {
			continue
		}
		if escaped(v) {
			var err error
			if v, err = url.QueryUnescape(v); err != nil {
				continue
			}
		}
		if q == nil {
			q = make(opQueryParams, 0, len(op.Params))
		}
		seen := false
		for i := range q {
			if q[i].key == k {
				q[i].n++
				seen = true
				break
			}
		}
		if !seen {
			q = append(q, queryParam{key: k, first: v, n: 1})
		}
	}
	return q
}

// escaped reports whether s has a '%' or '+' for QueryUnescape to decode.
func escaped(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '+' {
			return true
		}
	}
	return false
}

// readsQuery reports whether op has a query parameter named k on the wire.
func readsQuery(op *opModel, k string) bool {
	for i := range op.Params {
		if op.Params[i].Loc == locQuery && op.Params[i].Wire == k {
			return true
		}
	}
	return false
}
