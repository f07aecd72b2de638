package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/arca-repo/arca/internal/gopublish"
)

// goFallThrough: with GOPROXY=arca,direct the go command falls through to
// direct on arca's 404 for a module arca cannot find (neither in the chain
// nor at the public proxy), and never for one arca serves. "direct" is made
// reachable without the network: HTTP_PROXY and HTTPS_PROXY name a proxy of
// the test's (the go command sends loopback requests, arca's, past it), which
// answers example.test's go-get page with a "mod" import (a module proxy
// at http://example.test/modproxy/, served by the same proxy) and refuses
// every CONNECT, so the https attempt fails and GOINSECURE lets plain http
// follow.
func goFallThrough(t *testing.T, s *goServer, tok string) {
	const mod, ver = "example.test/direct", "v1.0.0"
	var zip bytes.Buffer
	if _, err := gopublish.Zip(&zip, greetModule(t, mod, ver), ver); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	direct := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String())
		mu.Unlock()
		if r.Method == http.MethodConnect || r.URL.Host != "example.test" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		switch p := r.URL.Path; {
		case p == "/direct" && r.URL.Query().Get("go-get") == "1":
			fmt.Fprintf(w, `<html><head><meta name="go-import" content="%s mod http://example.test/modproxy"></head></html>`, mod)
		case p == "/modproxy/"+mod+"/@v/list":
			fmt.Fprintln(w, ver)
		case p == "/modproxy/"+mod+"/@v/"+ver+".info":
			fmt.Fprintf(w, `{"Version":%q,"Time":"2024-01-02T03:04:05Z"}`, ver)
		case p == "/modproxy/"+mod+"/@v/"+ver+".mod":
			fmt.Fprintf(w, "module %s\n\ngo 1.21\n", mod)
		case p == "/modproxy/"+mod+"/@v/"+ver+".zip":
			w.Write(zip.Bytes())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(direct.Close)

	g := newGoTool(t, s.ca, s.goEndpoint(goDomain, "app")+",direct", "GONOSUMDB=example.com/private,example.test",
		"GOINSECURE=example.test", "HTTP_PROXY="+direct.URL, "HTTPS_PROXY="+direct.URL)
	g.netrc(s.Addr, tok)
	dir := goModule(t, "module example.com/fall\n\ngo 1.21\n", nil)
	g.ok(dir, "get", mod+"@"+ver, "example.com/private/greet@v1.0.0")
	checkRequires(t, dir, map[string]string{mod: ver, "example.com/private/greet": "v1.0.0"})
	mu.Lock()
	defer mu.Unlock()
	var got, fromDirect bool
	for _, req := range seen {
		got = got || strings.Contains(req, "/modproxy/"+mod+"/@v/"+ver+".zip")
		fromDirect = fromDirect || strings.Contains(req, "private/greet")
	}
	if !got || fromDirect {
		t.Fatalf("requests that went direct: %v (want %s's zip, and nothing of the modules arca has)", seen, mod)
	}
}
