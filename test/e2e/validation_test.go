package e2e

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// answer is what a client saw of one refused request.
type answer struct {
	Status  int
	Code    string // X-Amzn-ErrorType, or "" on the data plane
	Message string
}

// A NUL character or invalid UTF-8 in any name, version or description is
// refused with the same ValidationException whichever metadata store runs
// underneath: SQLite would keep them, PostgreSQL cannot, and an
// installation must stay movable between the two. Nothing is stored.
func TestTextValidationSameOnBothBackends(t *testing.T) {
	t.Parallel()
	dsn, _ := newPGSchema(t)
	backends := []struct {
		name string
		s    *server
	}{
		{"sqlite", startServer(t, serverOpts{})},
		{"postgres", startServer(t, serverOpts{Env: []string{"ARCA_DATABASE_URL=" + dsn, "ARCA_TOKEN_KEY=" + randHex(32)}})},
	}
	answers := map[string]map[string]answer{}
	for _, b := range backends {
		answers[b.name] = refusedTexts(t, b.name, b.s)
	}
	sq, pg := answers["sqlite"], answers["postgres"]
	if len(sq) == 0 || !reflect.DeepEqual(sq, pg) {
		for k := range sq {
			if sq[k] != pg[k] {
				t.Errorf("%s: SQLite answered %+v, PostgreSQL %+v", k, sq[k], pg[k])
			}
		}
	}
}

// refusedTexts sends every bad-text case to s, checks each is a clear 400
// that stores nothing, and returns the answers by case.
func refusedTexts(t *testing.T, backend string, s *server) map[string]answer {
	c := s.client()
	createDomain(t, c, "txt")
	createRepo(t, c, "txt", "repo")
	got := map[string]answer{}
	control := func(name string, rr rawRequest, want string) {
		t.Helper()
		resp, body := s.do(t, rr)
		a := answer{Status: resp.StatusCode, Code: resp.Header.Get("X-Amzn-ErrorType")}
		var doc struct {
			Message string `json:"message"`
			Reason  string `json:"reason"`
		}
		json.Unmarshal(body, &doc)
		a.Message = doc.Message
		if a.Status != 400 || !strings.HasPrefix(a.Code, "ValidationException") || !strings.Contains(a.Message, want) {
			t.Errorf("%s, %s: %d %s %s, want 400 ValidationException saying %q", backend, name, a.Status, a.Code, body, want)
		}
		if doc.Reason != "FIELD_VALIDATION_FAILED" {
			t.Errorf("%s, %s: reason %q, want FIELD_VALIDATION_FAILED", backend, name, doc.Reason)
		}
		got[name] = a
	}
	asset := []byte("some bytes")
	publishQ := func(ns, pkg, version, assetName string) url.Values {
		return url.Values{"domain": {"txt"}, "repository": {"repo"}, "format": {"generic"}, "namespace": {ns},
			"package": {pkg}, "version": {version}, "asset": {assetName}}
	}

	// The generic coordinates: the model's pattern [^#/\s]+ lets a NUL through.
	for name, q := range map[string]url.Values{
		"NUL in package name":    publishQ("ns", "nul\x00pkg", "1.0", "a.bin"),
		"NUL in namespace":       publishQ("n\x00s", "pkg", "1.0", "a.bin"),
		"NUL in package version": publishQ("ns", "pkg", "1.0\x00evil", "a.bin"),
	} {
		control(name, publishRequest(q, asset), "NUL character (U+0000)")
	}
	// Invalid UTF-8 is refused by the model's validation already.
	control("invalid UTF-8 in package name", publishRequest(publishQ("ns", "bad\xffname", "1.0", "a.bin"), asset), "valid UTF-8")
	// Creating a package to block it stores the name too.
	control("NUL in PutPackageOriginConfiguration", rawRequest{Method: "POST", Path: "/v1/package",
		Query: url.Values{"domain": {"txt"}, "repository": {"repo"}, "format": {"generic"}, "namespace": {"ns"}, "package": {"blo\x00cked"}},
		Body:  bytes.NewReader([]byte(`{"restrictions":{"publish":"BLOCK","upstream":"ALLOW"}}`))}, "NUL character (U+0000)")
	// The model's pattern for a KMS key (\S+) lets a NUL through too.
	control("NUL in a domain's encryption key", rawRequest{Method: "POST", Path: "/v1/domain", Query: url.Values{"domain": {"txt-key"}},
		Body: bytes.NewReader([]byte(`{"encryptionKey":"arn:aws:kms:us-east-1:000000000000:key/a\u0000b"}`))}, "NUL character (U+0000)")
	// Descriptions and tags: the model's pattern \P{C} refuses them.
	control("NUL in a repository description", rawRequest{Method: "PUT", Path: "/v1/repository",
		Query: url.Values{"domain": {"txt"}, "repository": {"repo"}},
		Body:  bytes.NewReader([]byte(`{"description":"a\u0000b"}`))}, "failed to satisfy constraint")

	// The SDK sees a ValidationException with its reason.
	_, err := c.PublishPackageVersion(ctx(t), pkgRef{Domain: "txt", Repo: "repo", Namespace: "ns", Package: "sdk\x00pkg"}.
		publishInput("1.0", "a.bin", bytes.NewReader(asset), sha256Hex(asset), false))
	var ve *types.ValidationException
	if !errors.As(err, &ve) || ve.Reason != types.ValidationExceptionReasonFieldValidationFailed || !strings.Contains(ve.ErrorMessage(), "NUL") {
		t.Errorf("%s: SDK publish with a NUL in the name: %v, want ValidationException FIELD_VALIDATION_FAILED", backend, err)
	}

	// npm: the manifest's description and dependencies reach the store.
	tok := npmToken(t, c, "txt")
	for name, mutate := range map[string]func(map[string]any){
		"npm: NUL in the description": func(m map[string]any) { m["description"] = "tool\x00kit" },
		"npm: NUL in a dependency":    func(m map[string]any) { m["dependencies"] = map[string]any{"left\x00pad": "^1.0.0"} },
		"npm: NUL in a license":       func(m map[string]any) { m["license"] = "MIT\x00" },
	} {
		tgz := npmTarball(t, "txtlib", "1.0.0")
		status, body := npmRawPublish(t, s, tok, "txtlib", "1.0.0", tgz, mutate)
		var doc struct {
			Error string `json:"error"`
		}
		json.Unmarshal([]byte(body), &doc)
		if status != 400 || !strings.Contains(doc.Error, "NUL character (U+0000)") {
			t.Errorf("%s, %s: %d %s, want 400 naming the NUL", backend, name, status, body)
		}
		got[name] = answer{Status: status, Message: doc.Error}
	}

	// PyPI: the upload's form fields reach the store.
	dir := t.TempDir()
	d := pyDist{Name: "txtpkg", Version: "1.0"}
	whl := d.wheel(t, dir)
	content, err := os.ReadFile(whl)
	if err != nil {
		t.Fatal(err)
	}
	ptok := authToken(t, c, "txt")
	for name, fields := range map[string]map[string]string{
		"pypi: NUL in the summary":           {"summary": "a\x00b"},
		"pypi: invalid UTF-8 in the summary": {"summary": "caf\xe9"},
		"pypi: NUL in a requirement":         {"requires_dist": "requests\x00 (>=2)"},
	} {
		status, body := pypiUpload(t, pypiEndpoint(s, "txt", "repo"), ptok, d, filepath.Base(whl), content, fields)
		if status != 400 || !(strings.Contains(body, "NUL character") || strings.Contains(body, "not valid UTF-8")) {
			t.Errorf("%s, %s: %d %s, want 400 naming the bad text", backend, name, status, body)
		}
		got[name] = answer{Status: status, Message: body}
	}

	// Nothing of any of it was stored.
	out, err := c.ListPackages(ctx(t), &codeartifact.ListPackagesInput{Domain: aws.String("txt"), Repository: aws.String("repo")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Packages) != 0 {
		var names []string
		for _, p := range out.Packages {
			names = append(names, string(p.Format)+":"+aws.ToString(p.Namespace)+"/"+aws.ToString(p.Package))
		}
		t.Errorf("%s: refused requests left packages behind: %q", backend, names)
	}
	if _, err := c.DescribeDomain(ctx(t), &codeartifact.DescribeDomainInput{Domain: aws.String("txt-key")}); !isNotFound(err) {
		t.Errorf("%s: the refused CreateDomain left a domain: %v", backend, err)
	}
	// And the same clients still publish good text.
	publish(t, c, pkgRef{Domain: "txt", Repo: "repo", Namespace: "ns", Package: "fine"}, "1.0", "a.bin", asset, false)
	if status, body := pypiUpload(t, pypiEndpoint(s, "txt", "repo"), ptok, d, filepath.Base(whl), content,
		map[string]string{"summary": "café ünïcode ✓"}); status != 200 {
		t.Errorf("%s: a good PyPI upload: %d %s", backend, status, body)
	}
	return got
}

// publishRequest is a hand-signed PublishPackageVersion of body with query q.
func publishRequest(q url.Values, body []byte) rawRequest {
	return rawRequest{Method: "POST", Path: "/v1/package/version/publish", Query: q, Body: bytes.NewReader(body)}
}

// npmRawPublish PUTs a publish document for name@version whose version
// manifest mutate may change, and returns the status and body.
func npmRawPublish(t *testing.T, s *server, tok, name, version string, tgz []byte, mutate func(map[string]any)) (int, string) {
	t.Helper()
	sum := sha1.Sum(tgz)
	m := map[string]any{"name": name, "version": version, "dist": map[string]any{"integrity": sriSHA512(tgz), "shasum": hex.EncodeToString(sum[:])}}
	mutate(m)
	doc := map[string]any{
		"_id": name, "name": name, "dist-tags": map[string]string{"latest": version},
		"versions": map[string]any{version: m},
		"_attachments": map[string]any{name + "-" + version + ".tgz": map[string]any{"content_type": "application/octet-stream",
			"data": base64.StdEncoding.EncodeToString(tgz), "length": len(tgz)}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("PUT", s.URL+"/npm/d/txt-"+testAccount+"/repo/"+name, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
