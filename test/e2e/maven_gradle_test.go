package e2e

// End-to-end tests of the Maven endpoint with the real Gradle (Debian's
// gradle 4.4.1, `--no-daemon`): a build resolves a dependency tree from an
// arca repository with `credentials { username 'aws'; password token }`.
// Gradle over http resolves only; publishing over http fails in this
// Gradle (see docs/maven.md), so the tree is published over raw HTTP.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// gradleTool runs gradle with a private GRADLE_USER_HOME and HOME, so no
// cache, init script or gradle.properties of the machine takes part.
type gradleTool struct {
	t   *testing.T
	bin string
	env []string
}

// newGradle skips the test when gradle is missing, unless CI is set: then
// it fails, since .ci/run installs it.
func newGradle(t *testing.T) *gradleTool {
	t.Helper()
	bin, err := exec.LookPath("gradle")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("gradle is missing, and CI is set: the Gradle end-to-end tests must run (apt-get install -y gradle)")
		}
		t.Skip("gradle is missing (apt-get install -y gradle); skipping the Gradle end-to-end test")
	}
	home := t.TempDir()
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "HOME" || k == "GRADLE_USER_HOME" || k == "GRADLE_OPTS" || k == "JAVA_OPTS" ||
			k == "JAVA_TOOL_OPTIONS" || k == "_JAVA_OPTIONS" || strings.HasPrefix(k, "ORG_GRADLE_") ||
			k == "CODEARTIFACT_AUTH_TOKEN" || strings.HasPrefix(k, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "GRADLE_OPTS=-Xmx256m -XX:TieredStopAtLevel=1")
	return &gradleTool{t: t, bin: bin, env: env}
}

// gradleBuild is the build script: the one repository is arca's Maven
// endpoint with the credentials of docs/maven.md (the token from
// CODEARTIFACT_AUTH_TOKEN), a configuration holding app, and a task that
// copies the resolved files and prints their names.
func gradleBuild(endpoint, coords string) string {
	return `repositories {
    maven {
        url '` + endpoint + `'
        credentials { username 'aws'; password System.env.CODEARTIFACT_AUTH_TOKEN }
    }
}
configurations { tree }
dependencies { tree '` + coords + `' }
task fetchTree(type: Copy) {
    from configurations.tree
    into "$buildDir/tree"
    doFirst { configurations.tree.files.each { println "resolved: " + it.name } }
}
`
}

// run runs `gradle --no-daemon fetchTree` in a fresh project directory
// with a fresh GRADLE_USER_HOME and the token, and returns the project
// directory, the output and the error.
func (g *gradleTool) run(build, token string) (string, string, error) {
	g.t.Helper()
	dir := g.t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "settings.gradle"), []byte("rootProject.name = 'consumer'\n"), 0o644); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "build.gradle"), []byte(build), 0o644); err != nil {
		g.t.Fatal(err)
	}
	return g.runWith(dir, g.t.TempDir(), "CODEARTIFACT_AUTH_TOKEN="+token)
}

// runHome runs the build with GRADLE_USER_HOME home (whose
// gradle.properties the build may read), returning the output.
func (g *gradleTool) runHome(build, home string) (string, error) {
	g.t.Helper()
	dir := g.t.TempDir()
	for name, body := range map[string]string{"settings.gradle": "rootProject.name = 'consumer'\n", "build.gradle": build} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			g.t.Fatal(err)
		}
	}
	_, out, err := g.runWith(dir, home)
	return out, err
}

func (g *gradleTool) runWith(dir, home string, env ...string) (string, string, error) {
	g.t.Helper()
	cmd := exec.Command(g.bin, "--no-daemon", "--console=plain", "--gradle-user-home", home, "fetchTree")
	cmd.Dir = dir
	cmd.Env = append(append([]string{}, g.env...), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	g.t.Logf("gradle --no-daemon fetchTree: %v in %s", err, time.Since(start).Round(time.Millisecond))
	return dir, out.String(), err
}

// gradleRequests lists the data-plane requests of the server's debug
// access log under prefix, as "METHOD path status".
func gradleRequests(log, prefix string) []string {
	re := regexp.MustCompile(`method=(\S+) path=(\S+) status=(\d+)`)
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if m := re.FindStringSubmatch(line); m != nil && strings.HasPrefix(m[2], prefix) {
			out = append(out, m[1]+" "+strings.TrimPrefix(m[2], prefix)+" "+m[3])
		}
	}
	return out
}

// A tree app -> lib-a -> lib-b published into arca is resolved by Gradle
// from arca alone: the three jars arrive byte-identical, and Gradle's
// requests all went to arca's endpoint. A wrong token fails the build with
// 401 and resolves nothing.
func TestMavenGradleResolveTree(t *testing.T) {
	t.Parallel()
	g := newGradle(t)
	s := startServer(t, serverOpts{Env: []string{"ARCA_LOG_LEVEL=debug"}})
	c := s.client()
	createDomain(t, c, "gradle")
	createRepo(t, c, "gradle", "jvm")
	m := newMavenHTTP(t, s, c, "gradle")

	const group = "com.example.gradle"
	dep := func(a, v string) string {
		return `<dependency><groupId>` + group + `</groupId><artifactId>` + a + `</artifactId><version>` + v + `</version></dependency>`
	}
	// lib-a asks for lib-b in a range, so Gradle reads lib-b's
	// maven-metadata.xml and picks 2.1 out of 2.0, 2.1 and 3.0.
	jars := map[string][]byte{}
	for _, p := range []struct{ a, v, deps string }{
		{"lib-b", "2.0", ""},
		{"lib-b", "2.1", ""},
		{"lib-b", "3.0", ""},
		{"lib-a", "1.3", dep("lib-b", "[2.0,3.0)")},
		{"app", "1.0", dep("lib-a", "1.3")},
	} {
		jar := []byte(fmt.Sprintf("PK\x03\x04 the jar of %s %s %s", p.a, p.v, strings.Repeat(p.a, 4096)))
		if p.a != "lib-b" || p.v == "2.1" {
			jars[p.a+"-"+p.v+".jar"] = jar
		}
		m.deploy("jvm", group, p.a, p.v, jar, p.deps)
	}

	endpoint := mavenEndpoint(s, "gradle", "jvm")
	build := gradleBuild(endpoint, group+":app:1.0")
	dir, out, err := g.run(build, m.token)
	if err != nil {
		t.Fatalf("gradle fetchTree: %v\n%s", err, out)
	}
	var names []string
	for name, want := range jars {
		names = append(names, name)
		got, err := os.ReadFile(filepath.Join(dir, "build", "tree", name))
		if err != nil {
			t.Errorf("%s not resolved: %v\n%s", name, err, out)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes resolved differ from the %d published", name, len(got), len(want))
		}
		if !strings.Contains(out, "resolved: "+name) {
			t.Errorf("gradle did not print %s as resolved:\n%s", name, out)
		}
	}
	sort.Strings(names)
	entries, _ := os.ReadDir(filepath.Join(dir, "build", "tree"))
	if len(entries) != len(jars) {
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		t.Errorf("resolved files %v, want exactly %v", got, names)
	}

	// What Gradle asked of the endpoint (docs/maven.md says it).
	prefix := "/maven/d/gradle-" + testAccount + "/jvm/"
	var reqs []string
	for _, r := range gradleRequests(s.Log(), prefix) {
		if !strings.HasPrefix(r, "PUT ") { // the test's own deploys
			reqs = append(reqs, r)
		}
	}
	t.Logf("gradle's requests:\n%s", strings.Join(reqs, "\n"))
	for _, name := range []string{"app/1.0/app-1.0.pom", "lib-b/maven-metadata.xml", "lib-a/1.3/lib-a-1.3.jar", "lib-b/2.1/lib-b-2.1.jar"} {
		path := strings.ReplaceAll(group, ".", "/") + "/" + name
		found := false
		for _, r := range reqs {
			if strings.HasPrefix(r, "GET "+path+" 200") {
				found = true
			}
		}
		if !found {
			t.Errorf("no GET %s 200 from gradle in the server's log", path)
		}
	}
	for _, r := range reqs {
		if st := r[strings.LastIndexByte(r, ' ')+1:]; st[0] == '5' {
			t.Errorf("server error for gradle: %s", r)
		}
	}

	// A wrong token: the build fails, Gradle says 401, nothing is copied.
	dir, out, err = g.run(build, "not-a-token-"+strings.Repeat("x", 20))
	if err == nil {
		t.Fatalf("gradle fetchTree with a wrong token succeeded:\n%s", out)
	}
	if !strings.Contains(out, "401") {
		t.Errorf("gradle with a wrong token: output does not mention 401:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "401") {
			t.Logf("gradle with a wrong token: %s", strings.TrimSpace(line))
			break
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "build", "tree")); len(entries) != 0 {
		t.Errorf("gradle with a wrong token copied %d files", len(entries))
	}
}
