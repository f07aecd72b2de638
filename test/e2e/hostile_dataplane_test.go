package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
)

// Hostile uploads on the repository endpoints: bodies larger than the
// server's max_asset_size, declared or streamed, and large bodies from a
// principal that may only read. Each is refused before its bytes are
// spooled: the answer comes while the client is still near the start of
// its body, and the server's spool files (DATA/tmp, unlinked at once, so
// watched through the process's open descriptors) never grow past the
// limit.

// spoolWatch samples, until stopped, the bytes arca holds in spool files
// under DATA/tmp: files still listed there, and unlinked ones the process
// keeps open.
type spoolWatch struct {
	peak atomic.Int64
	stop chan struct{}
	done sync.WaitGroup
}

func watchSpool(t *testing.T, s *server) *spoolWatch {
	t.Helper()
	w := &spoolWatch{stop: make(chan struct{})}
	tmp := filepath.Join(s.DataDir, "tmp") + string(filepath.Separator)
	fdDir := fmt.Sprintf("/proc/%d/fd", s.cmd.Process.Pid)
	if _, err := os.ReadDir(fdDir); err != nil {
		t.Skipf("cannot watch the server's descriptors: %v", err)
	}
	sample := func() {
		var n int64
		seen := map[string]bool{}
		fds, _ := os.ReadDir(fdDir)
		for _, fd := range fds {
			p := filepath.Join(fdDir, fd.Name())
			target, err := os.Readlink(p)
			if err != nil || !strings.HasPrefix(target, tmp) {
				continue
			}
			if fi, err := os.Stat(p); err == nil {
				n += fi.Size()
				seen[strings.TrimSuffix(target, " (deleted)")] = true
			}
		}
		ents, _ := os.ReadDir(tmp)
		for _, e := range ents {
			if fi, err := e.Info(); err == nil && !seen[tmp+e.Name()] {
				n += fi.Size()
			}
		}
		if n > w.peak.Load() {
			w.peak.Store(n)
		}
	}
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		for {
			sample()
			select {
			case <-w.stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return w
}

// Stop ends the watch and returns the most bytes seen spooled at once.
func (w *spoolWatch) Stop() int64 {
	close(w.stop)
	w.done.Wait()
	return w.peak.Load()
}

// gatedBody counts what the server has taken of a request body, and
// gives it no more than gate bytes until the answer has come (open is
// closed): a server that reads further before it answers never answers.
type gatedBody struct {
	r    io.Reader
	n    atomic.Int64
	gate int64
	open chan struct{}
	ctx  context.Context
}

func (c *gatedBody) Read(p []byte) (int, error) {
	if left := c.gate - c.n.Load(); left <= 0 {
		select {
		case <-c.open:
		case <-c.ctx.Done():
			return 0, c.ctx.Err()
		}
	} else if int64(len(p)) > left {
		select {
		case <-c.open:
		default:
			p = p[:left]
		}
	}
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// repeatReader is size bytes of pat, repeated.
type repeatReader struct {
	pat       string
	size, off int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.off < r.size {
		p[n] = r.pat[r.off%int64(len(r.pat))]
		n++
		r.off++
	}
	return n, nil
}

// hostileUpload is one request with a large generated body.
type hostileUpload struct {
	method, url, contentType, token string
	prefix, suffix                  string
	body                            io.Reader // the large middle
	size                            int64     // prefix + body + suffix
	chunked                         bool      // send without Content-Length
}

// hostileResult is what the client saw: the answer, how much of its body
// the server had taken when the answer came, how long that took, and the
// most bytes the server held spooled meanwhile.
type hostileResult struct {
	status  int
	body    string
	sent    int64
	elapsed time.Duration
	spooled int64
}

// send sends u, at most gate bytes of it until the answer comes, and
// returns as soon as the answer's headers (and its short body) arrive,
// then abandons the rest of the upload. No answer within 30 seconds is
// status 0.
func (u hostileUpload) send(t *testing.T, s *server, gate int64) hostileResult {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cb := &gatedBody{r: io.MultiReader(strings.NewReader(u.prefix), u.body, strings.NewReader(u.suffix)),
		gate: gate, open: make(chan struct{}), ctx: c}
	req, err := http.NewRequestWithContext(c, u.method, u.url, cb)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = u.size
	if u.chunked {
		req.ContentLength = -1
	}
	req.Header.Set("Content-Type", u.contentType)
	req.Header.Set("Authorization", "Bearer "+u.token)
	watch := watchSpool(t, s)
	start := time.Now()
	// A transport of its own: the connection is dropped with the upload.
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	res := hostileResult{sent: cb.n.Load(), elapsed: time.Since(start)}
	close(cb.open)
	if err != nil {
		res.spooled = watch.Stop()
		res.body = fmt.Sprintf("no answer: %v", err)
		return res
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	cancel()
	// A little longer, for anything the server would still spool.
	time.Sleep(200 * time.Millisecond)
	res.status, res.body, res.spooled = resp.StatusCode, string(b), watch.Stop()
	return res
}

// check holds r to a refusal with status want whose message holds msg,
// having spooled at most maxSpooled bytes.
func (r hostileResult) check(t *testing.T, what string, want int, msg string, maxSpooled int64) {
	t.Helper()
	t.Logf("%s: %d after %.1f MiB sent in %s, %.1f MiB spooled at most: %s", what, r.status,
		float64(r.sent)/(1<<20), r.elapsed.Round(time.Millisecond), float64(r.spooled)/(1<<20), strings.TrimSpace(r.body))
	if r.status != want || !strings.Contains(r.body, msg) {
		t.Errorf("%s: %d %q, want %d about %q", what, r.status, r.body, want, msg)
	}
	if r.spooled > maxSpooled {
		t.Errorf("%s: %d bytes spooled, want at most %d", what, r.spooled, maxSpooled)
	}
}

// npmHostile is a publish document whose tarball's base64 is size bytes of
// "AAAA" (zeros), streamed.
func npmHostile(s *server, domain, repo, token, name string, b64 int64, chunked bool) hostileUpload {
	prefix := `{"name":"` + name + `","versions":{"1.0.0":{"name":"` + name + `","version":"1.0.0"}},` +
		`"_attachments":{"` + name + `-1.0.0.tgz":{"content_type":"application/octet-stream","data":"`
	suffix := `"}}}`
	return hostileUpload{method: "PUT", url: s.URL + "/npm/d/" + domain + "-" + testAccount + "/" + repo + "/" + name,
		contentType: "application/json", token: token, prefix: prefix, suffix: suffix,
		body: &repeatReader{pat: "AAAA", size: b64}, size: int64(len(prefix)) + b64 + int64(len(suffix)), chunked: chunked}
}

// pypiHostile is a twine-like form whose content part is size generated
// bytes named filename; the name and version fields come first unless
// contentFirst.
func pypiHostile(s *server, domain, repo, token, filename string, size int64, contentFirst, chunked bool) hostileUpload {
	var head, fields bytes.Buffer
	mw := multipart.NewWriter(&fields)
	boundary := mw.Boundary()
	for _, kv := range [][2]string{{":action", "file_upload"}, {"protocol_version", "1"}, {"name", "big-pkg"},
		{"version", "1.0"}, {"filetype", "bdist_wheel"}, {"pyversion", "py3"}, {"metadata_version", "2.1"}} {
		mw.WriteField(kv[0], kv[1])
	}
	fieldText := fields.String() // parts, each opened by a boundary line
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="content"; filename="`+filename+`"`)
	h.Set("Content-Type", "application/octet-stream")
	fmt.Fprintf(&head, "--%s\r\n", boundary)
	for k, v := range h {
		fmt.Fprintf(&head, "%s: %s\r\n", k, v[0])
	}
	head.WriteString("\r\n")
	prefix, suffix := "", ""
	if contentFirst {
		prefix = head.String()
		suffix = "\r\n" + fieldText + "\r\n--" + boundary + "--\r\n"
	} else {
		prefix = fieldText + "\r\n" + head.String()
		suffix = "\r\n--" + boundary + "--\r\n"
	}
	return hostileUpload{method: "POST", url: pypiEndpoint(s, domain, repo), contentType: mw.FormDataContentType(),
		token: token, prefix: prefix, suffix: suffix, body: newGen(7, size),
		size: int64(len(prefix)) + size + int64(len(suffix)), chunked: chunked}
}

// A principal that may only read gets its 403 before arca reads the
// large file it sends: an npm publish (the package is in the path), and a
// twine upload whether its name field comes first or its file does (then
// the file's name says the project).
func TestHostileReadOnlyUploadsRefusedBeforeSpooling(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(path, []byte(dpIdentities(true, true)), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, serverOpts{Env: []string{"ARCA_IDENTITIES=" + path}})
	createDomain(t, s.client(), "ro")
	createRepo(t, s.client(), "ro", "repo")
	out, err := sdkClient(s.URL, npmUserKey, npmUserSecret).GetAuthorizationToken(ctx(t),
		&codeartifact.GetAuthorizationTokenInput{Domain: aws.String("ro")})
	if err != nil {
		t.Fatalf("the read-only user mints a token: %v", err)
	}
	tok := *out.AuthorizationToken
	const big = 300 << 20
	// The answer must come while the client is near the start of its
	// body (what it has sent by then fills socket buffers, not a spool
	// file): it sends no more than gate bytes before it.
	const gate = 24 << 20
	for _, c := range []struct {
		what string
		u    hostileUpload
	}{
		{"twine upload, content before name", pypiHostile(s, "ro", "repo", tok, "big_pkg-1.0-py3-none-any.whl", big, true, false)},
		{"twine upload, name first", pypiHostile(s, "ro", "repo", tok, "big_pkg-1.0-py3-none-any.whl", big, false, false)},
		{"twine upload, chunked, content first", pypiHostile(s, "ro", "repo", tok, "big_pkg-1.0-py3-none-any.whl", big, true, true)},
		{"npm publish", npmHostile(s, "ro", "repo", tok, "big-pkg", big, false)},
		{"npm publish, chunked", npmHostile(s, "ro", "repo", tok, "big-pkg", big, true)},
	} {
		c.u.send(t, s, gate).check(t, c.what, http.StatusForbidden, "PublishPackageVersion", 0)
	}
	if pkgs, err := s.client().ListPackages(ctx(t), &codeartifact.ListPackagesInput{Domain: aws.String("ro"),
		Repository: aws.String("repo")}); err != nil || len(pkgs.Packages) != 0 {
		t.Errorf("packages after the refusals: %v, %v", pkgs, err)
	}
}

// With max_asset_size at 1 MiB, an npm publish or twine upload past it is
// refused with 413 in the client's dialect: at once when its
// Content-Length says so, the moment the file passes the limit when it is
// streamed; nothing is stored, and no more than the limit is ever
// spooled. The real clients publish under the limit and show the 413
// over it.
func TestHostileUploadSizeLimits(t *testing.T) {
	t.Parallel()
	const limit = 1 << 20
	s := startServer(t, serverOpts{Env: []string{"ARCA_MAX_ASSET_SIZE=" + strconv.Itoa(limit)}})
	c := s.client()
	createDomain(t, c, "lim")
	createRepo(t, c, "lim", "repo")
	tok := authToken(t, c, "lim")
	const big = 200 << 20
	const gate = 24 << 20
	// The spool holds at most the limit and the last chunk written.
	const maxSpooled = limit + 512<<10

	t.Run("raw", func(t *testing.T) {
		for _, c := range []struct {
			what       string
			u          hostileUpload
			msg        string
			maxSpooled int64
		}{
			{"npm publish, declared too long", npmHostile(s, "lim", "repo", tok, "big-pkg", big, false), "at most", 0},
			{"npm publish, chunked", npmHostile(s, "lim", "repo", tok, "big-pkg", big, true), "larger than the maximum asset size", maxSpooled},
			{"twine upload, declared too long", pypiHostile(s, "lim", "repo", tok, "big_pkg-1.0-py3-none-any.whl", big, false, false), "at most", 0},
			{"twine upload, chunked", pypiHostile(s, "lim", "repo", tok, "big_pkg-1.0-py3-none-any.whl", big, false, true), "larger than the maximum asset size", maxSpooled},
			{"twine upload, chunked, content first", pypiHostile(s, "lim", "repo", tok, "big_pkg-1.0-py3-none-any.whl", big, true, true), "larger than the maximum asset size", maxSpooled},
		} {
			r := c.u.send(t, s, gate)
			r.check(t, c.what, http.StatusRequestEntityTooLarge, c.msg, c.maxSpooled)
			if strings.HasPrefix(c.what, "npm") && !strings.HasPrefix(r.body, `{"error":`) {
				t.Errorf("%s: not npm's JSON error: %q", c.what, r.body)
			}
		}
	})

	t.Run("content first, unknown project", func(t *testing.T) {
		// Neither a name field nor a file name that says the project
		// before the file: refused, nothing read of the file.
		r := pypiHostile(s, "lim", "repo", tok, "a-1-1.tar.gz", 100<<20, true, true).send(t, s, gate)
		r.check(t, "ambiguous sdist name first", http.StatusBadRequest, "send the name field first", 0)
	})

	t.Run("clients", func(t *testing.T) {
		n := newNPM(t, s, "lim", "repo")
		n.setToken(tok)
		small := npmPkg(t, map[string]any{"name": "under-limit", "version": "1.0.0"}, "# under\n")
		writeNoise(t, filepath.Join(small, "blob.bin"), limit/2)
		n.ok(small, "publish")
		over := npmPkg(t, map[string]any{"name": "over-limit", "version": "1.0.0"}, "# over\n")
		writeNoise(t, filepath.Join(over, "blob.bin"), 2*limit)
		n.fails(over, []string{"413", "larger than the maximum asset size of 1048576 bytes"}, "publish")
		if installed := n.ok(npmProject(t), "install", "under-limit"); !strings.Contains(installed, "added 1 package") {
			t.Errorf("npm install under-limit:\n%s", installed)
		}

		py := newPyTools(t, s)
		py.login("twine", "lim", "repo")
		dir := t.TempDir()
		ok := pyDist{Name: "py-under", Version: "1.0", Payload: limit / 2}.wheel(t, dir)
		if out, err := py.twineUpload("--repository", "codeartifact", ok); err != nil {
			t.Fatalf("twine upload under the limit: %v\n%s", err, out)
		}
		tooBig := pyDist{Name: "py-over", Version: "1.0", Payload: 2 * limit}.wheel(t, dir)
		out, err := py.twineUpload("--repository", "codeartifact", tooBig)
		if err == nil || !strings.Contains(out, "413") {
			t.Errorf("twine upload over the limit: %v\n%s", err, out)
		}
		t.Logf("twine over the limit:\n%s", out)
		want := map[string]bool{"under-limit": true, "py-under": true}
		pkgs, err := c.ListPackages(ctx(t), &codeartifact.ListPackagesInput{Domain: aws.String("lim"), Repository: aws.String("repo")})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkgs.Packages {
			if !want[aws.ToString(p.Package)] {
				t.Errorf("stored: %s %s", p.Format, aws.ToString(p.Package))
			}
			delete(want, aws.ToString(p.Package))
		}
		if len(want) != 0 {
			t.Errorf("missing: %v", want)
		}
	})
}

// writeNoise writes n incompressible bytes to path.
func writeNoise(t *testing.T, path string, n int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, newGen(uint64(n), n)); err != nil {
		t.Fatal(err)
	}
}
