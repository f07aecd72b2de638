package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// arca login --tool maven edits the user's ~/.m2/settings.xml, which
// already has a profile for Debian's plugin repository and a comment: both
// stay, and the server, profile and active profile arca adds let the real
// mvn deploy a jar to the repository id the login named and resolve it back
// with no -DremoteRepositories. --tool gradle writes gradle.properties,
// whose two properties a build script uses to resolve the same jar.
func TestLoginMavenGradle(t *testing.T) {
	t.Parallel()
	m := newMvn(t)
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "acme")
	createRepo(t, c, "acme", "jars")

	settings := filepath.Join(m.home, ".m2", "settings.xml")
	writeFile(t, settings, `<?xml version="1.0" encoding="UTF-8"?>
<!-- the team's settings: plugins only from Debian -->
<settings>
  <profiles>
    <profile>
      <id>offline</id>
      <repositories>
        <repository>
          <id>central</id><url>file:///nonexistent</url>
          <releases><enabled>false</enabled></releases><snapshots><enabled>false</enabled></snapshots>
        </repository>
      </repositories>
      <pluginRepositories>
        <pluginRepository><id>central</id><url>file://`+debianMavenRepo+`</url></pluginRepository>
      </pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles>
    <activeProfile>offline</activeProfile>
  </activeProfiles>
</settings>
`)
	env := awsEnv(m.env, m.home)
	arcaLogin(t, s, env, "", "--tool", "maven", "--domain", "acme", "--repository", "jars")
	doc := checkSecretFile(t, settings)
	mustContain(t, "settings.xml", doc, "<!-- the team's settings: plugins only from Debian -->",
		"<activeProfile>offline</activeProfile>", "<id>acme-jars</id>", "<username>aws</username>",
		"<activeProfile>acme-jars</activeProfile>", "<url>"+mavenEndpoint(s, "acme", "jars")+"</url>")

	dir := t.TempDir()
	jar, jarBytes := demoJar(t, dir, "login-demo-1.0.jar", "login")
	pom, _ := demoPOM(t, dir, "org.example.login", "login-demo", "1.0", "")
	if out, err := m.run(settings, m.localRepo(), mvnDeployPlugin+":deploy-file", "-Dfile="+jar, "-DpomFile="+pom,
		"-DrepositoryId=acme-jars", "-Durl="+mavenEndpoint(s, "acme", "jars"), "-DgeneratePom=false"); err != nil {
		t.Fatalf("mvn deploy-file with the login's server entry: %v\n%s", err, out)
	}
	local := m.localRepo()
	if out, err := m.run(settings, local, mvnDepPlugin+":get", "-Dartifact=org.example.login:login-demo:1.0"); err != nil {
		t.Fatalf("mvn dependency:get through the login's profile: %v\n%s", err, out)
	}
	got, err := os.ReadFile(localFile(local, "org.example.login", "login-demo", "1.0", "login-demo-1.0.jar"))
	if err != nil || string(got) != string(jarBytes) {
		t.Fatalf("resolved jar: %v (%d bytes, want %d)", err, len(got), len(jarBytes))
	}
	origin, _ := os.ReadFile(localFile(local, "org.example.login", "login-demo", "1.0", "_remote.repositories"))
	mustContain(t, "_remote.repositories", string(origin), "login-demo-1.0.jar>acme-jars=")

	// Gradle: the properties file is all the build needs.
	g := newGradle(t)
	gradleHome := t.TempDir()
	genv := append(awsEnv(g.env, m.home), "GRADLE_USER_HOME="+gradleHome)
	arcaLogin(t, s, genv, "", "--tool", "gradle", "--domain", "acme", "--repository", "jars")
	props := checkSecretFile(t, filepath.Join(gradleHome, "gradle.properties"))
	mustContain(t, "gradle.properties", props, "codeartifactUrl="+mavenEndpoint(s, "acme", "jars"), "codeartifactToken=")
	build := `repositories {
    maven {
        url codeartifactUrl
        credentials { username 'aws'; password codeartifactToken }
    }
}
configurations { tree }
dependencies { tree 'org.example.login:login-demo:1.0' }
task fetchTree(type: Copy) {
    from configurations.tree
    into "$buildDir/tree"
    doFirst { configurations.tree.files.each { println "resolved: " + it.name } }
}
`
	out, err := g.runHome(build, gradleHome)
	if err != nil || !strings.Contains(out, "resolved: login-demo-1.0.jar") {
		t.Fatalf("gradle with the login's properties: %v\n%s", err, out)
	}
}
