package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/arca-repo/arca/test/internal/arcatest"
)

// testCA is a certificate authority the TLS tests make and trust, as an
// organization's private CA would be.
type testCA struct {
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	File   string // the CA certificate, PEM: what clients are told to trust
	Pool   *x509.CertPool
	serial int64
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "arca e2e test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, File: filepath.Join(t.TempDir(), "ca.pem"), Pool: x509.NewCertPool(), serial: 100}
	ca.Pool.AddCert(cert)
	writePEM(t, ca.File, "CERTIFICATE", der)
	return ca
}

// issue writes a server certificate for 127.0.0.1 and localhost, signed by
// the CA, to certFile and keyFile, and returns its serial number.
func (ca *testCA) issue(t *testing.T, certFile, keyFile string) *big.Int {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(ca.serial),
		Subject:      pkix.Name{CommonName: "arca e2e server"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", kder)
	return tmpl.SerialNumber
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// httpsClient trusts only the test CA and speaks HTTP/2 when the server
// offers it.
func (ca *testCA) httpsClient() *http.Client {
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: ca.Pool},
		ForceAttemptHTTP2: true,
	}}
}

// tlsServer is an arca serving HTTPS with a certificate of ca.
type tlsServer struct {
	*server
	ca                *testCA
	CertFile, KeyFile string
}

// startTLSServer runs `arca serve --tls-cert --tls-key` on a free port and
// waits until /healthz answers 200 over HTTPS.
func startTLSServer(t *testing.T, ca *testCA, env ...string) *tlsServer {
	t.Helper()
	dir := t.TempDir()
	ts := &tlsServer{ca: ca, CertFile: filepath.Join(dir, "server.pem"), KeyFile: filepath.Join(dir, "server-key.pem")}
	ca.issue(t, ts.CertFile, ts.KeyFile)
	data := t.TempDir()
	p := arcatest.Serve(t, arcatest.ServeOptions{
		Bin: arcaBin, DataDir: data, Args: []string{"--tls-cert", ts.CertFile, "--tls-key", ts.KeyFile},
		Env: append(rootEnv(), env...), HTTPS: true, Client: ca.httpsClient(), StrictExit: true,
	})
	ts.server = newServer(data, p)
	return ts
}

// client is an SDK client that trusts the test CA.
func (ts *tlsServer) client() *codeartifact.Client {
	return codeartifact.New(codeartifact.Options{
		Region:       testRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
		BaseEndpoint: aws.String(ts.URL),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   ts.ca.httpsClient(),
	})
}

// servedSerial opens a new connection and returns the serial number of the
// certificate the server presents.
func (ts *tlsServer) servedSerial(t *testing.T) *big.Int {
	t.Helper()
	conn, err := tls.Dial("tcp", ts.Addr, &tls.Config{RootCAs: ts.ca.Pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber
}

// HTTPS end to end with a private CA: the SDK, the aws CLI (AWS_CA_BUNDLE
// and --ca-bundle), `aws codeartifact login`, npm (cafile) publishing and
// installing, twine (REQUESTS_CA_BUNDLE) uploading and pip (--cert)
// installing, Go's client over HTTP/2; endpoints are https URLs.
func TestTLSClients(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	ts := startTLSServer(t, ca)
	c := ts.client()
	createDomain(t, c, "tls")
	createRepo(t, c, "tls", "js")
	createRepo(t, c, "tls", "py")

	// PUBLIC_URL defaults to https://ADDR, and the endpoints say so.
	ep, err := c.GetRepositoryEndpoint(ctx(t), &codeartifact.GetRepositoryEndpointInput{
		Domain: aws.String("tls"), Repository: aws.String("js"), Format: types.PackageFormatNpm})
	if err != nil {
		t.Fatal(err)
	}
	if want := ts.URL + "/npm/d/tls-" + testAccount + "/js/"; aws.ToString(ep.RepositoryEndpoint) != want {
		t.Fatalf("endpoint = %s, want %s", aws.ToString(ep.RepositoryEndpoint), want)
	}

	// HTTP/2 on both planes, by ALPN.
	hc := ca.httpsClient()
	for _, path := range []string{"/healthz", "/npm/d/tls-" + testAccount + "/js/-/ping"} {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+npmToken(t, c, "tls"))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Proto != "HTTP/2.0" {
			t.Fatalf("GET %s: %d over %s, want 200 over HTTP/2.0", path, resp.StatusCode, resp.Proto)
		}
	}
	// A publish and a download with bodies, through the SDK over HTTP/2.
	big := bytes.Repeat([]byte("arca over h2 "), 300_000) // 3.9 MB
	ref := pkgRef{Domain: "tls", Repo: "js", Namespace: "ns", Package: "blob"}
	publish(t, c, ref, "1.0", "blob.bin", big, false)
	if h, _ := download(t, c, ref, "1.0", "blob.bin"); h.SHA256 != sha256Hex(big) {
		t.Fatalf("downloaded SHA-256 %s, published %s", h.SHA256, sha256Hex(big))
	}

	// A plain-HTTP request to the HTTPS port is refused, not served.
	if resp, err := http.Get("http://" + ts.Addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP to the HTTPS port: %d, want 400", resp.StatusCode)
		}
	}

	// The aws CLI trusts the CA through AWS_CA_BUNDLE (or --ca-bundle) and
	// fails without it.
	cli := newAWSCLI(t, ts.URL)
	if _, errOut, err := cli.run("list-domains"); err == nil || !strings.Contains(errOut, "SSL") {
		t.Fatalf("aws without the CA: err %v, stderr %s; want an SSL verification failure", err, errOut)
	}
	if out := cli.ok("list-domains", "--ca-bundle", ca.File); len(out["domains"].([]any)) != 1 {
		t.Fatalf("aws --ca-bundle list-domains: %v", out)
	}
	cli.env = append(cli.env, "AWS_CA_BUNDLE="+ca.File)

	// npm: `aws codeartifact login --tool npm` writes the https registry;
	// npm trusts the CA through its cafile setting.
	if _, err := exec.LookPath("npm"); err == nil {
		n := newNPM(t, ts.server, "tls", "js")
		n.env = append(n.env, "NPM_CONFIG_CAFILE="+ca.File)
		npmCLI := *cli
		npmCLI.env = append(append([]string(nil), cli.env...), "NPM_CONFIG_USERCONFIG="+n.npmrc(), "NPM_CONFIG_GLOBALCONFIG="+filepath.Join(n.home, "global-npmrc"))
		if _, errOut, err := npmCLI.run("login", "--tool", "npm", "--domain", "tls", "--repository", "js"); err != nil {
			t.Fatalf("aws codeartifact login --tool npm: %v\n%s", err, errOut)
		}
		if rc, _ := os.ReadFile(n.npmrc()); !strings.Contains(string(rc), "registry=https://") {
			t.Fatalf(".npmrc after login:\n%s", rc)
		}
		n.ok(npmPkg(t, map[string]any{"name": "tls-pkg", "version": "1.0.0", "license": "MIT"}, "# tls\n"), "publish")
		proj := npmProject(t)
		n.ok(proj, "install", "tls-pkg")
		if v := npmInstalled(t, proj, "tls-pkg"); v != "1.0.0" {
			t.Fatalf("npm installed tls-pkg %q over HTTPS", v)
		}
	} else {
		t.Log("npm not on PATH; the npm part is skipped")
	}

	// pip and twine: login writes https URLs; twine trusts the CA through
	// REQUESTS_CA_BUNDLE, pip through --cert.
	if _, err := exec.LookPath("twine"); err == nil {
		py := newPyTools(t, ts.server)
		// requests lets these variables override pip's --cert: a machine
		// that sets them trusts only what they name.
		var base []string
		for _, kv := range py.env {
			if !strings.HasPrefix(kv, "REQUESTS_CA_BUNDLE=") && !strings.HasPrefix(kv, "CURL_CA_BUNDLE=") {
				base = append(base, kv)
			}
		}
		py.env = base
		with := func(kv string) []string { return append(append([]string(nil), base...), kv) }
		py.cli.env = with("AWS_CA_BUNDLE=" + ca.File)
		py.login("twine", "tls", "py")
		dist := t.TempDir()
		whl := pyDist{Name: "tls-py", Version: "1.0", Summary: "over HTTPS"}.wheel(t, dist)
		py.env = with("REQUESTS_CA_BUNDLE=" + ca.File)
		if out, err := py.twineUpload("--repository", "codeartifact", whl); err != nil {
			t.Fatalf("twine upload over HTTPS: %v\n%s", err, out)
		}
		py.env = base
		py.login("pip", "tls", "py")
		venv := py.venv()
		if out, err := py.pip(venv, "install", "tls-py"); err == nil {
			t.Fatalf("pip install without --cert succeeded over a private CA:\n%s", out)
		}
		if out, err := py.pip(venv, "install", "--cert", ca.File, "tls-py"); err != nil {
			t.Fatalf("pip install --cert over HTTPS: %v\n%s", err, out)
		}
		if got := py.python(venv, "import tls_py; print(tls_py.VERSION)"); got != "1.0" {
			t.Fatalf("installed tls-py %q", got)
		}
	} else {
		t.Log("twine not on PATH; the PyPI part is skipped")
	}
}

// SIGHUP re-reads the certificate: new connections get the new one, and a
// broken file is refused and logged while the current certificate stays.
func TestTLSReloadOnSIGHUP(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	ts := startTLSServer(t, ca)
	first := ts.servedSerial(t)

	// An HTTP/2 connection opened before the reload keeps working.
	hc := ca.httpsClient()
	get := func() {
		t.Helper()
		resp, err := hc.Get(ts.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("healthz: %d", resp.StatusCode)
		}
	}
	get()

	second := ca.issue(t, ts.CertFile, ts.KeyFile)
	if first.Cmp(second) == 0 {
		t.Fatal("the CA issued the same serial twice")
	}
	ts.Signal(syscall.SIGHUP)
	waitLog(t, ts.server, "reloaded the TLS certificate", 1)
	if got := ts.servedSerial(t); got.Cmp(second) != 0 {
		t.Fatalf("after SIGHUP a new connection got certificate %v, want the new %v (old %v)", got, second, first)
	}
	get()

	// Broken files: garbage, then a key of another certificate. Each is
	// refused with a log line, and the second certificate stays.
	if err := os.WriteFile(ts.CertFile, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts.Signal(syscall.SIGHUP)
	waitLog(t, ts.server, "reloading the TLS certificate failed", 1)
	dir := t.TempDir()
	ca.issue(t, ts.CertFile, filepath.Join(dir, "unused-key.pem"))
	ca.issue(t, filepath.Join(dir, "unused.pem"), ts.KeyFile)
	ts.Signal(syscall.SIGHUP)
	waitLog(t, ts.server, "reloading the TLS certificate failed", 2)
	if got := ts.servedSerial(t); got.Cmp(second) != 0 {
		t.Fatalf("after broken reloads a new connection got certificate %v, want %v", got, second)
	}
	if !strings.Contains(ts.Stderr(), "private key does not match public key") {
		t.Errorf("the log does not say the key does not match:\n%s", ts.Stderr())
	}
	get()
}

// A missing or broken certificate at start is a clear error, not a server
// quietly speaking plain HTTP.
func TestTLSBadCertificateAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(key, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"missing":   {"--tls-cert", filepath.Join(dir, "nope.pem"), "--tls-key", key},
		"cert only": {"--tls-cert", key},
	} {
		// A server that starts anyway is killed after a while: the test fails, not hangs.
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(cctx, arcaBin, append([]string{"serve", "--listen", "127.0.0.1:0", "--data", t.TempDir()}, args...)...)
		cmd.Env = []string{"ARCA_ROOT_ACCESS_KEY_ID=" + testAccessKey, "ARCA_ROOT_SECRET_ACCESS_KEY=" + testSecretKey, "HOME=" + dir}
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(strings.ToLower(string(out)), "tls") {
			t.Errorf("%s: err %v, output %s; want a failure naming TLS", name, err, out)
		}
	}
}
