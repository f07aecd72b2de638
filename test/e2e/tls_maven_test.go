package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// mvn over HTTPS with a private CA: without the CA in Java's trust store it
// refuses arca's certificate; with it (a PKCS#12 trust store made from the
// CA's PEM, as an organization would), deploy-file and dependency:get work
// against the https endpoint.
func TestTLSMaven(t *testing.T) {
	t.Parallel()
	m := newMvn(t)
	keytool, err := exec.LookPath("keytool")
	if err != nil {
		t.Skip("keytool (the JDK's) is not on PATH")
	}
	ca := newTestCA(t)
	ts := startTLSServer(t, ca)
	c := ts.client()
	createDomain(t, c, "tlsmvn")
	createRepo(t, c, "tlsmvn", "repo")
	endpoint := mavenEndpoint(ts.server, "tlsmvn", "repo")
	if !strings.HasPrefix(endpoint, "https://") {
		t.Fatalf("endpoint %s is not https", endpoint)
	}
	settings := m.settings(mvnSettings{URL: endpoint, Password: authToken(t, c, "tlsmvn")})

	dir := t.TempDir()
	const group, artifact, version = "com.example.tls", "tls-lib", "1.0.0"
	jar, jarBytes := demoJar(t, dir, artifact+"-"+version+".jar", "deployed over HTTPS\n")
	pom, pomBytes := demoPOM(t, dir, group, artifact, version, "")

	if out, err := m.deployFile(settings, endpoint, mvnArtifact{File: jar, POM: pom}); err == nil {
		t.Fatalf("mvn deployed over HTTPS to a server signed by a CA it does not trust:\n%s", out)
	} else if !strings.Contains(out, "PKIX") && !strings.Contains(out, "certification path") {
		t.Logf("untrusted certificate: mvn failed, but without naming the certificate path:\n%s", out)
	}

	store := filepath.Join(t.TempDir(), "truststore.p12")
	if out, err := exec.Command(keytool, "-importcert", "-noprompt", "-alias", "arca-test-ca", "-file", ca.File,
		"-keystore", store, "-storetype", "PKCS12", "-storepass", "changeit").CombinedOutput(); err != nil {
		t.Fatalf("keytool -importcert: %v\n%s", err, out)
	}
	m.env = append(m.env, "MAVEN_OPTS=-Xmx256m -XX:TieredStopAtLevel=1 -Djavax.net.ssl.trustStore="+store+
		" -Djavax.net.ssl.trustStorePassword=changeit -Djavax.net.ssl.trustStoreType=PKCS12")
	m.deployOK(settings, endpoint, mvnArtifact{File: jar, POM: pom})
	local := m.localRepo()
	if out, err := m.get(settings, local, group+":"+artifact+":"+version); err != nil {
		t.Fatalf("mvn dependency:get over HTTPS: %v\n%s", err, out)
	}
	checkFromArca(t, local, group, artifact, version, artifact+"-"+version+".jar", jarBytes)
	checkFromArca(t, local, group, artifact, version, artifact+"-"+version+".pom", pomBytes)
}
