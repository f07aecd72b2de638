package external

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// listClient reads a metadata document of lines "version file-url sha256".
type listClient struct{}

func (listClient) MetadataURL(base *url.URL, _, name string) (*url.URL, string) {
	u := *base
	u.Path += name
	return &u, "text/plain"
}

func (listClient) ParseMetadata(u *url.URL, _ string, body []byte, _, _ string) (*Package, error) {
	p := &Package{}
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		f := strings.Fields(line)
		fu, _ := u.Parse(f[1])
		p.Versions = append(p.Versions, Version{Version: f[0], Assets: []Asset{{Name: "f", URL: fu, Size: -1, SHA256: f[2]}}})
	}
	return p, nil
}

// authLog records the Authorization header of every request per server.
type authLog struct {
	mu   sync.Mutex
	seen map[string]string
}

func (a *authLog) record(r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen[r.Host+r.URL.Path] = r.Header.Get("Authorization")
}

// Credentials in a connection's URL go to its host only: the metadata
// request carries them; a file on another host, and a redirect to another
// host, do not.
func TestCredentialsStayOnTheConnectionsHost(t *testing.T) {
	t.Parallel()
	log := &authLog{seen: map[string]string{}}
	data := []byte("file bytes")
	sum := sha256.Sum256(data)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.record(r)
		_, _ = w.Write(data)
	}))
	defer files.Close()
	var index *httptest.Server
	index = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.record(r)
		switch r.URL.Path {
		case "/root/pkg":
			_, _ = io.WriteString(w, "1.0 "+files.URL+"/elsewhere/f "+hex.EncodeToString(sum[:])+"\n2.0 /root/redirect "+hex.EncodeToString(sum[:])+"\n")
		case "/root/redirect":
			http.Redirect(w, r, files.URL+"/redirected/f", http.StatusFound)
		}
	}))
	defer index.Close()
	u, _ := url.Parse(index.URL + "/root/")
	u.User = url.UserPassword("aws", "s3cret")
	src, err := New(Options{URLs: map[string]string{"public:npmjs": u.String()}, Clients: map[string]Client{"npm": listClient{}}, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	p, err := src.Package(context.Background(), "public:npmjs", "", "pkg")
	if err != nil || len(p.Versions) != 2 {
		t.Fatalf("Package: %+v, %v", p, err)
	}
	for _, v := range p.Versions {
		d, started, err := src.Download("public:npmjs", v.Assets[0])
		if err != nil || !started {
			t.Fatalf("Download: %v %v", started, err)
		}
		if _, err := d.Wait(); err != nil {
			t.Fatalf("download of %s: %v", v.Version, err)
		}
		d.Release(true)
		d.Release(false)
	}
	ih, fh := strings.TrimPrefix(index.URL, "http://"), strings.TrimPrefix(files.URL, "http://")
	if got := log.seen[ih+"/root/pkg"]; !strings.HasPrefix(got, "Basic ") {
		t.Errorf("metadata request without the connection's credentials: %q", got)
	}
	if got := log.seen[ih+"/root/redirect"]; !strings.HasPrefix(got, "Basic ") {
		t.Errorf("file on the connection's host without credentials: %q", got)
	}
	for _, p := range []string{"/elsewhere/f", "/redirected/f"} {
		if got, ok := log.seen[fh+p]; !ok || got != "" {
			t.Errorf("%s on another host: asked=%v Authorization=%q", p, ok, got)
		}
	}
}
