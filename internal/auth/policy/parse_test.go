package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

func TestParseErrors(t *testing.T) {
	const ok = `"Effect":"Allow","Action":"codeartifact:*","Resource":"*"`
	stmt := func(body string) string { return `{"Version":"2012-10-17","Statement":[{` + body + `}]}` }
	tests := []struct {
		name, doc, want string
	}{
		{"empty", "", "the document is empty"},
		{"not json", "{", "not valid JSON"},
		{"array doc", "[]", "the document must be a JSON object"},
		{"null doc", "null", "must be a JSON object"},
		{"trailing data", `{"Statement":{` + ok + `}} {}`, "not valid JSON"},
		{"duplicate member", `{"Statement":{` + ok + `,"Effect":"Deny"}}`, `Statement[0]: duplicate member "Effect"`},
		{"unknown top member", `{"Version":"2012-10-17","Statment":[]}`, `unknown member "Statment"`},
		{"bad version", `{"Version":"2020-01-01","Statement":{` + ok + `}}`, `Version must be "2012-10-17" or "2008-10-17", not "2020-01-01"`},
		{"numeric version", `{"Version":2012,"Statement":{` + ok + `}}`, "Version must be"},
		{"id not string", `{"Id":1,"Statement":{` + ok + `}}`, "Id must be a string"},
		{"missing statement", `{"Version":"2012-10-17"}`, "Statement is missing"},
		{"statement string", `{"Statement":"x"}`, "Statement must be an object or an array of objects"},
		{"statement empty array", `{"Statement":[]}`, "Statement must not be empty"},
		{"statement empty object", `{"Statement":[{}]}`, "Statement[0] is empty"},
		{"statement null", `{"Statement":[null]}`, "Statement[0] must be a JSON object"},
		{"unknown statement member", stmt(ok + `,"Actions":"x"`), `Statement[0]: unknown member "Actions"`},
		{"lowercase effect", `{"Statement":[{` + ok + `},{"Effect":"allow","Action":"*"}]}`, `Policy document: Statement[1].Effect must be "Allow" or "Deny", not "allow"`},
		{"missing effect", stmt(`"Action":"*"`), "Statement[0].Effect is missing"},
		{"missing action", stmt(`"Effect":"Allow","Resource":"*"`), "Statement[0] must have an Action or a NotAction"},
		{"action and notaction", stmt(ok + `,"NotAction":"x:y"`), "cannot have both Action and NotAction"},
		{"resource and notresource", stmt(ok + `,"NotResource":"*"`), "cannot have both Resource and NotResource"},
		{"action no service", stmt(`"Effect":"Allow","Action":"ReadFromRepository"`), `Statement[0].Action "ReadFromRepository" must be`},
		{"action empty", stmt(`"Effect":"Allow","Action":""`), "Statement[0].Action must be a non-empty string"},
		{"action empty list", stmt(`"Effect":"Allow","Action":[]`), "Statement[0].Action must not be an empty array"},
		{"action number", stmt(`"Effect":"Allow","Action":[1]`), "Statement[0].Action must contain only non-empty strings"},
		{"resource not arn", stmt(`"Effect":"Allow","Action":"*","Resource":"repository/d/r"`), `Statement[0].Resource "repository/d/r" must be "*" or an ARN`},
		{"resource short arn", stmt(`"Effect":"Allow","Action":"*","NotResource":["arn:aws:codeartifact:*"]`), `Statement[0].NotResource "arn:aws:codeartifact:*"`},
		{"principal and notprincipal", stmt(ok + `,"Principal":"*","NotPrincipal":"*"`), "cannot have both Principal and NotPrincipal"},
		{"principal bare account", stmt(ok + `,"Principal":"123456789012"`), `Statement[0].Principal must be "*" or an object`},
		{"principal empty object", stmt(ok + `,"Principal":{}`), "Statement[0].Principal is empty"},
		{"principal service", stmt(ok + `,"Principal":{"Service":"codeartifact.amazonaws.com"}`), `unsupported principal type "Service"`},
		{"principal short account", stmt(ok + `,"Principal":{"AWS":"12345"}`), `Statement[0].Principal.AWS "12345" is not a valid principal`},
		{"principal wildcard arn", stmt(ok + `,"NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/*"]}`), `Statement[0].NotPrincipal.AWS "arn:aws:iam::123456789012:user/*"`},
		{"principal s3 arn", stmt(ok + `,"Principal":{"AWS":"arn:aws:s3:::bucket"}`), "is not a valid principal"},
		{"condition not object", stmt(ok + `,"Condition":[]`), "Statement[0].Condition must be a JSON object"},
		{"unsupported operator", stmt(ok + `,"Condition":{"NumericLessThan":{"x:y":"1"}}`), `Statement[0].Condition: unsupported condition operator "NumericLessThan"`},
		{"set operator", stmt(ok + `,"Condition":{"ForAnyValue:StringLike":{"x:y":"1"}}`), `unsupported condition operator "ForAnyValue:StringLike"`},
		{"null ifexists", stmt(ok + `,"Condition":{"NullIfExists":{"x:y":"true"}}`), `unsupported condition operator "NullIfExists"`},
		{"operator body not object", stmt(ok + `,"Condition":{"StringEquals":"x"}`), "Statement[0].Condition.StringEquals must be a JSON object"},
		{"condition value object", stmt(ok + `,"Condition":{"StringEquals":{"aws:PrincipalAccount":{}}}`), "Statement[0].Condition.StringEquals.aws:PrincipalAccount must be a non-empty string"},
		{"condition empty values", stmt(ok + `,"Condition":{"StringEquals":{"aws:PrincipalAccount":[]}}`), "must not be an empty array"},
		{"arnlike not arn", stmt(ok + `,"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*"}}`), `Statement[0].Condition.ArnLike.aws:PrincipalArn "arn:aws:iam::*" must be "*" or an ARN`},
		{"bool not bool", stmt(ok + `,"Condition":{"Bool":{"aws:SecureTransport":"yes"}}`), `Statement[0].Condition.Bool.aws:SecureTransport must be true or false, not "yes"`},
		{"duplicate sid", `{"Statement":[{"Sid":"A",` + ok + `},{"Sid":"A",` + ok + `}]}`, `Statement[1].Sid "A" is not unique`},
		{"sid not string", stmt(`"Sid":1,` + ok), "Statement[0].Sid must be a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.doc)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", p)
			}
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Kind != apierr.Validation {
				t.Fatalf("error %v is not a Validation *apierr.Error", err)
			}
			if !strings.HasPrefix(ae.Message, "Policy document: ") || !strings.Contains(ae.Message, tc.want) {
				t.Fatalf("message %q does not contain %q", ae.Message, tc.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	docs := []string{
		// One statement as an object, no Version (IAM defaults it), no Resource.
		`{"Statement":{"Effect":"Allow","Action":"codeartifact:*"}}`,
		`{"Version":"2008-10-17","Id":"x","Statement":[{"Sid":"s 1","Effect":"Deny","NotAction":["codeartifact:Delete*","sts:*"],"NotResource":"arn:aws:codeartifact:*:*:domain/*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*","123456789012","arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:user/a/b","arn:aws:sts::123456789012:assumed-role/r/s"]},"Action":"*","Resource":"*",
		 "Condition":{"stringequals":{"AWS:PrincipalOrgID":"o-1"},"StringLikeIfExists":{"codeartifact:namespace":["a*","b?"]},"Bool":{"aws:SecureTransport":true},"Null":{"aws:x":"false"},"ArnNotLikeIfExists":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"StringEquals":{"k:n":123}}}]}`,
	}
	for _, doc := range docs {
		p, err := Parse(doc)
		if err != nil {
			t.Fatalf("Parse(%s): %v", doc, err)
		}
		if p.String() != doc {
			t.Fatalf("String() does not return the original text")
		}
	}
}

func TestCheckKinds(t *testing.T) {
	withPrincipal := mustParse(t, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`)
	without := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	if withPrincipal.CheckResource() != nil || without.CheckIdentity() != nil {
		t.Fatal("valid documents rejected")
	}
	if err := withPrincipal.CheckIdentity(); !apierr.Is(err, apierr.Validation) {
		t.Fatalf("identity policy with Principal: %v", err)
	}
	if err := without.CheckResource(); !apierr.Is(err, apierr.Validation) {
		t.Fatalf("resource policy without Principal: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"codeartifact:*","Resource":"*"}]}`,
		`{"Statement":{"Effect":"Deny","NotAction":"x:*","NotPrincipal":"*","Condition":{"StringLikeIfExists":{"a:b":["*?*"]}}}}`,
		`{"Statement":[{}]}`, `[]`, `null`, `{"Statement":[{"Effect":"Allow","Action":[1,true,null]}]}`,
	} {
		f.Add(s, "codeartifact:ReadFromRepository", "arn:aws:codeartifact:us-east-1:123456789012:repository/d/r")
	}
	f.Fuzz(func(t *testing.T, doc, action, resource string) {
		p, err := Parse(doc)
		if err != nil {
			if !apierr.Is(err, apierr.Validation) {
				t.Fatalf("non-validation error %v", err)
			}
			return
		}
		req := Request{Action: action, Resource: resource, Principal: Principal{Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/u"},
			Keys: map[string]string{"aws:PrincipalOrgID": resource}}
		p.Evaluate(req, true)
		p.Evaluate(req, false)
		Authorize(req, "111111111111", []*Policy{p}, []*Policy{p}).Message(req)
	})
}

func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, doc)
	}
	return p
}
