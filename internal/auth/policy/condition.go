package policy

import "strings"

// opKind is the comparison a condition operator performs.
type opKind int

const (
	opStringEquals opKind = iota
	opStringEqualsIgnoreCase
	opStringLike
	opArnLike // ArnEquals and ArnLike behave the same in IAM: both take wildcards
	opBool
	opNull
)

type operator struct {
	kind   opKind
	negate bool
}

// operators is the immutable table of supported operator names, keyed by
// lower-cased name; the ...IfExists suffix is stripped before lookup.
// Numeric, Date, IpAddress and the ForAnyValue:/ForAllValues: set operators
// are deliberately absent: CodeArtifact's request context has no such keys,
// so a policy using them is rejected rather than silently misread.
var operators = map[string]operator{
	"stringequals":              {opStringEquals, false},
	"stringnotequals":           {opStringEquals, true},
	"stringequalsignorecase":    {opStringEqualsIgnoreCase, false},
	"stringnotequalsignorecase": {opStringEqualsIgnoreCase, true},
	"stringlike":                {opStringLike, false},
	"stringnotlike":             {opStringLike, true},
	"arnequals":                 {opArnLike, false},
	"arnlike":                   {opArnLike, false},
	"arnnotequals":              {opArnLike, true},
	"arnnotlike":                {opArnLike, true},
	"bool":                      {opBool, false},
	"null":                      {opNull, false},
}

// condition is one (operator, key, values) triple; a statement's conditions
// are ANDed, its values ORed (NORed for negated operators).
type condition struct {
	operator
	ifExists bool
	key      string // lower-cased: condition keys are case-insensitive
	values   []string
}

// lookupOperator resolves an operator name, reporting whether it is known.
func lookupOperator(name string) (operator, bool, bool) {
	lower := strings.ToLower(name)
	ifExists := false
	if base, ok := strings.CutSuffix(lower, "ifexists"); ok {
		lower, ifExists = base, true
	}
	op, ok := operators[lower]
	if !ok || (ifExists && op.kind == opNull) {
		return operator{}, false, false
	}
	return op, ifExists, true
}

// eval decides the condition for req. Per IAM: a missing key makes a
// positive operator false and a negated one true; ...IfExists makes any
// operator true when the key is missing; Null tests presence itself.
func (c *condition) eval(req *Request) bool {
	v, ok := req.lookup(c.key)
	if c.kind == opNull {
		for _, want := range c.values {
			if strings.EqualFold(want, "true") == !ok {
				return true
			}
		}
		return false
	}
	if !ok {
		return c.ifExists || c.negate
	}
	hit := false
	for _, pat := range c.values {
		if c.match(pat, v) {
			hit = true
			break
		}
	}
	return hit != c.negate
}

func (c *condition) match(pat, v string) bool {
	switch c.kind {
	case opStringEquals:
		return pat == v
	case opStringEqualsIgnoreCase, opBool:
		return strings.EqualFold(pat, v)
	case opStringLike:
		return globMatch(pat, v)
	case opArnLike:
		return arnMatch(pat, v)
	}
	return false
}
