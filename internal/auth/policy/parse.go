package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
)

// invalid is the one way Parse reports a problem: a ValidationException whose
// message starts like IAM's ("Policy document: …").
func invalid(format string, args ...any) *apierr.Error {
	return apierr.Invalid("Policy document: "+format, args...)
}

var (
	topMembers       = map[string]bool{"Version": true, "Id": true, "Statement": true}
	statementMembers = map[string]bool{"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true,
		"Action": true, "NotAction": true, "Resource": true, "NotResource": true, "Condition": true}
)

// Parse validates a policy document and returns it ready for evaluation.
// Element names are case-sensitive, as in IAM; statements are numbered from 0
// in error messages. Every error is an *apierr.Error of kind Validation
// (reason CANNOT_PARSE for broken JSON, FIELD_VALIDATION_FAILED otherwise).
// A missing Version is accepted (IAM reads it as 2008-10-17) and a statement
// without Resource/NotResource covers every resource, since a resource
// policy's resource is implied; policy variables (${…}) are not expanded.
func Parse(doc string) (*Policy, error) {
	top, err := object([]byte(doc), "the document")
	if err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if !topMembers[k] {
			return nil, invalid("unknown member %q", k)
		}
	}
	p := &Policy{text: doc}
	if raw, ok := top["Version"]; ok {
		if json.Unmarshal(raw, &p.Version) != nil || (p.Version != "2012-10-17" && p.Version != "2008-10-17") {
			return nil, invalid(`Version must be "2012-10-17" or "2008-10-17", not %s`, clip(raw))
		}
	}
	if raw, ok := top["Id"]; ok && json.Unmarshal(raw, &p.ID) != nil {
		return nil, invalid("Id must be a string")
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, invalid("Statement is missing")
	}
	var list []json.RawMessage
	switch firstByte(raw) {
	case '{':
		list = []json.RawMessage{raw}
	case '[':
		if json.Unmarshal(raw, &list) != nil {
			return nil, invalid("Statement must be an object or an array of objects")
		}
	default:
		return nil, invalid("Statement must be an object or an array of objects")
	}
	if len(list) == 0 {
		return nil, invalid("Statement must not be empty")
	}
	sids := map[string]bool{}
	for i, r := range list {
		s, err := parseStatement(r, fmt.Sprintf("Statement[%d]", i))
		if err != nil {
			return nil, err
		}
		if s.sid != "" {
			if sids[s.sid] {
				return nil, invalid("Statement[%d].Sid %q is not unique", i, s.sid)
			}
			sids[s.sid] = true
		}
		p.statements = append(p.statements, s)
	}
	return p, nil
}

func parseStatement(raw json.RawMessage, where string) (statement, error) {
	var s statement
	m, err := object(raw, where)
	if err != nil {
		return s, err
	}
	if len(m) == 0 {
		return s, invalid("%s is empty", where)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !statementMembers[k] {
			return s, invalid("%s: unknown member %q", where, k)
		}
	}
	if r, ok := m["Sid"]; ok && json.Unmarshal(r, &s.sid) != nil {
		return s, invalid("%s.Sid must be a string", where)
	}
	var effect string
	r, ok := m["Effect"]
	if !ok {
		return s, invalid("%s.Effect is missing", where)
	}
	if json.Unmarshal(r, &effect) != nil || (effect != "Allow" && effect != "Deny") {
		return s, invalid(`%s.Effect must be "Allow" or "Deny", not %s`, where, clip(r))
	}
	s.deny = effect == "Deny"

	if s.action, err = patterns(m, where, "Action", checkAction); err != nil {
		return s, err
	}
	if !s.action.present {
		return s, invalid("%s must have an Action or a NotAction", where)
	}
	for i, a := range s.action.items {
		s.action.items[i] = strings.ToLower(a) // actions match case-insensitively
	}
	if s.resource, err = patterns(m, where, "Resource", checkResource); err != nil {
		return s, err
	}
	if s.principal, err = principals(m, where); err != nil {
		return s, err
	}
	if r, ok := m["Condition"]; ok {
		if s.conds, err = conditions(r, where+".Condition"); err != nil {
			return s, err
		}
	}
	return s, nil
}

// patterns reads the element name or its Not… twin (at most one of them).
func patterns(m map[string]json.RawMessage, where, name string, check func(string) string) (patternList, error) {
	var l patternList
	r, has := m[name]
	nr, hasNot := m["Not"+name]
	if has && hasNot {
		return l, invalid("%s cannot have both %s and Not%s", where, name, name)
	}
	if !has && !hasNot {
		return l, nil
	}
	field := name
	if hasNot {
		r, field, l.not = nr, "Not"+name, true
	}
	items, err := stringList(r, where+"."+field, false)
	if err != nil {
		return l, err
	}
	for _, it := range items {
		if problem := check(it); problem != "" {
			return l, invalid("%s.%s %q %s", where, field, it, problem)
		}
	}
	l.present, l.items = true, items
	return l, nil
}

func checkAction(a string) string {
	if a == "*" {
		return ""
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" || strings.ContainsAny(a, " \t\r\n") {
		return `must be "*" or "service:action" (for example "codeartifact:Describe*")`
	}
	return ""
}

func checkResource(r string) string {
	if r == "*" {
		return ""
	}
	if !strings.HasPrefix(r, "arn:") || len(strings.SplitN(r, ":", 6)) != 6 {
		return `must be "*" or an ARN (arn:partition:service:region:account:resource)`
	}
	return ""
}

// principals reads Principal or NotPrincipal: "*" or {"AWS": "…" | ["…"]}.
func principals(m map[string]json.RawMessage, where string) (principalList, error) {
	var l principalList
	r, has := m["Principal"]
	nr, hasNot := m["NotPrincipal"]
	if has && hasNot {
		return l, invalid("%s cannot have both Principal and NotPrincipal", where)
	}
	if !has && !hasNot {
		return l, nil
	}
	field := where + ".Principal"
	if hasNot {
		r, field, l.not = nr, where+".NotPrincipal", true
	}
	l.present = true
	if firstByte(r) == '"' {
		var s string
		if json.Unmarshal(r, &s) != nil || s != "*" {
			return l, invalid(`%s must be "*" or an object such as {"AWS": "123456789012"}, not %s`, field, clip(r))
		}
		l.items = []principalEntry{{anyone: true}}
		return l, nil
	}
	obj, err := object(r, field)
	if err != nil {
		return l, err
	}
	if len(obj) == 0 {
		return l, invalid("%s is empty", field)
	}
	for k, v := range obj {
		if k != "AWS" {
			return l, invalid(`%s: unsupported principal type %q (only "AWS" is supported)`, field, k)
		}
		ids, err := stringList(v, field+".AWS", false)
		if err != nil {
			return l, err
		}
		for _, id := range ids {
			e, ok := principalEntryOf(id)
			if !ok {
				return l, invalid(`%s.AWS %q is not a valid principal: use "*", an account id, or an IAM ARN`, field, id)
			}
			l.items = append(l.items, e)
		}
	}
	return l, nil
}

func principalEntryOf(id string) (principalEntry, bool) {
	if id == "*" {
		return principalEntry{anyone: true}, true
	}
	if isAccountID(id) {
		return principalEntry{account: id}, true
	}
	parts := strings.SplitN(id, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[3] != "" ||
		(parts[2] != "iam" && parts[2] != "sts") || !isAccountID(parts[4]) ||
		parts[5] == "" || strings.ContainsAny(id, "*?") {
		return principalEntry{}, false
	}
	if parts[2] == "iam" && parts[5] == "root" {
		return principalEntry{account: parts[4]}, true
	}
	return principalEntry{arn: id}, true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// conditions reads {operator: {key: value | [values]}}.
func conditions(raw json.RawMessage, where string) ([]condition, error) {
	ops, err := object(raw, where)
	if err != nil {
		return nil, err
	}
	var out []condition
	for _, name := range slices.Sorted(maps.Keys(ops)) {
		body := ops[name]
		op, ifExists, ok := lookupOperator(name)
		if !ok {
			return nil, invalid("%s: unsupported condition operator %q", where, name)
		}
		keys, err := object(body, where+"."+name)
		if err != nil {
			return nil, err
		}
		for key, vals := range keys {
			at := where + "." + name + "." + key
			if key == "" {
				return nil, invalid("%s: condition key must not be empty", where+"."+name)
			}
			values, err := stringList(vals, at, true)
			if err != nil {
				return nil, err
			}
			if op.kind == opArnLike {
				for _, v := range values {
					if problem := checkResource(v); problem != "" {
						return nil, invalid("%s %q %s", at, v, problem)
					}
				}
			}
			if op.kind == opBool || op.kind == opNull {
				for _, v := range values {
					if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
						return nil, invalid("%s must be true or false, not %q", at, v)
					}
				}
			}
			out = append(out, condition{operator: op, ifExists: ifExists, key: strings.ToLower(key), values: values})
		}
	}
	return out, nil
}

// CheckIdentity rejects elements an identity policy may not carry: IAM
// refuses a Principal or NotPrincipal in a policy attached to a user.
func (p *Policy) CheckIdentity() error {
	for i, s := range p.statements {
		if s.principal.present {
			return invalid("Statement[%d] has a Principal or NotPrincipal, which an identity policy may not have", i)
		}
	}
	return nil
}

// CheckResource rejects a resource policy statement that does not say whom it
// applies to: every statement needs a Principal or NotPrincipal.
func (p *Policy) CheckResource() error {
	for i, s := range p.statements {
		if !s.principal.present {
			return invalid("Statement[%d] must have a Principal or NotPrincipal", i)
		}
	}
	return nil
}
