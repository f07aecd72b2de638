package policy

// JSON helpers for Parse: encoding/json alone would accept null for objects,
// silently collapse duplicate members and ignore trailing data, all of which
// a policy validator must refuse.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/arca-repo/arca/internal/apierr"
)

// stringList reads a string or a non-empty array of strings. Condition
// values (scalars) may also be JSON booleans or numbers, kept as their text.
func stringList(raw json.RawMessage, where string, scalars bool) ([]string, error) {
	one := func(r json.RawMessage) (string, bool) {
		var s string
		if json.Unmarshal(r, &s) == nil {
			return s, firstByte(r) == '"'
		}
		t := string(bytes.TrimSpace(r))
		if scalars && (t == "true" || t == "false" || json.Valid(r) && isNumber(t)) {
			return t, true
		}
		return "", false
	}
	if firstByte(raw) == '[' {
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) != nil {
			return nil, invalid("%s must be a string or an array of strings", where)
		}
		if len(arr) == 0 {
			return nil, invalid("%s must not be an empty array", where)
		}
		out := make([]string, 0, len(arr))
		for _, r := range arr {
			s, ok := one(r)
			if !ok || s == "" {
				return nil, invalid("%s must contain only non-empty strings", where)
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, ok := one(raw)
	if !ok || s == "" {
		return nil, invalid("%s must be a non-empty string or an array of strings", where)
	}
	return []string{s}, nil
}

func isNumber(t string) bool {
	return t != "" && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9'))
}

// object decodes raw as a JSON object, rejecting null, other types, trailing
// data and duplicate members (which json.Unmarshal would silently collapse,
// letting a later "Effect" override an earlier one).
func object(raw []byte, where string) (map[string]json.RawMessage, error) {
	if firstByte(raw) != '{' {
		if len(bytes.TrimSpace(raw)) == 0 {
			return nil, invalid("%s is empty", where)
		}
		return nil, invalid("%s must be a JSON object", where)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, syntaxError(err)
	}
	m := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, syntaxError(err)
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, syntaxError(err)
		}
		if _, dup := m[key]; dup {
			return nil, invalid("%s: duplicate member %q", where, key)
		}
		m[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntaxError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, syntaxError(fmt.Errorf("unexpected data after the JSON object"))
	}
	return m, nil
}

func syntaxError(err error) *apierr.Error {
	e := invalid("not valid JSON: %v", err)
	e.Reason = apierr.ReasonCannotParse
	return e
}

func firstByte(raw []byte) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// clip renders a raw JSON value for an error message, bounded so that a huge
// value does not become a huge message.
func clip(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64]) + "…"
	}
	return s
}
