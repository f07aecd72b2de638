package login

import (
	"fmt"
	"path/filepath"
)

// Maven and Gradle logins.
//
// Maven: ~/.m2/settings.xml gets a <server> (id NAME, username aws, the
// token as password), a <profile> NAME whose repository is arca, and that
// profile among <activeProfiles>, so builds resolve from the repository
// and `mvn deploy` authenticates to it when the POM's
// distributionManagement names the id NAME. Every other element, comment
// and byte of the file is kept.
//
// Gradle: gradle.properties gets PREFIXUrl and PREFIXToken (PREFIX is
// "codeartifact", or --name in camelCase), which a build reads as project
// properties.

func init() {
	register(Tool{Name: "maven", Format: "maven", plan: planMaven})
	register(Tool{Name: "mvn", Format: "maven", plan: planMaven})
	register(Tool{Name: "gradle", Format: "maven", Project: true, plan: planGradle})
}

const emptySettings = `<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
          xsi:schemaLocation="http://maven.apache.org/SETTINGS/1.0.0 https://maven.apache.org/xsd/settings-1.0.0.xsd">
</settings>
`

func planMaven(t Target) (Plan, error) {
	path := filepath.Join(t.Home, ".m2", "settings.xml")
	data, err := readFile(path)
	if err != nil {
		return Plan{}, err
	}
	if len(data) == 0 {
		data = []byte(emptySettings)
	}
	out, err := editSettings(data, t.Name, t.Endpoint, t.Token)
	if err != nil {
		return Plan{}, fmt.Errorf("%s: %w", path, err)
	}
	return Plan{Files: []File{{Path: path, Data: out, Secret: true}},
		Notes: []string{fmt.Sprintf("deploy with, in pom.xml:\n  <distributionManagement>\n    <repository>\n      <id>%s</id>\n      <url>%s</url>\n    </repository>\n  </distributionManagement>", t.Name, t.Endpoint)}}, nil
}

func editSettings(data []byte, name, endpoint, token string) ([]byte, error) {
	e := newXMLEditor(data)
	if root, err := e.root(); err != nil {
		return nil, fmt.Errorf("not well-formed XML: %w", err)
	} else if root.name != "settings" {
		return nil, fmt.Errorf("root element is <%s>, not <settings>", root.name)
	}
	steps := []struct {
		path  []string
		match func(*xmlNode) bool
		el    xel
	}{
		{[]string{"servers"}, childText("id", name), xel{name: "server", children: []xel{
			{name: "id", text: name}, {name: "username", text: "aws"}, {name: "password", text: token}}}},
		{[]string{"profiles"}, childText("id", name), xel{name: "profile", children: []xel{
			{name: "id", text: name},
			{name: "repositories", children: []xel{{name: "repository", children: []xel{
				{name: "id", text: name}, {name: "url", text: endpoint}}}}}}}},
		{[]string{"activeProfiles"}, func(n *xmlNode) bool { return n.name == "activeProfile" && n.text == name },
			xel{name: "activeProfile", text: name}},
	}
	for _, s := range steps {
		if err := e.upsert(s.path, s.match, s.el); err != nil {
			return nil, err
		}
	}
	return e.data, nil
}

// gradleHome is $GRADLE_USER_HOME or ~/.gradle.
func (t Target) gradleHome() string {
	if d := t.Getenv("GRADLE_USER_HOME"); d != "" {
		return d
	}
	return filepath.Join(t.Home, ".gradle")
}

func planGradle(t Target) (Plan, error) {
	prefix := "codeartifact"
	if t.Name != t.Domain+"-"+t.Repository {
		prefix = camel(t.Name)
	}
	user := filepath.Join(t.gradleHome(), "gradle.properties")
	var p Plan
	udata, err := readFile(user)
	if err != nil {
		return p, err
	}
	uf := parseKV(udata, "#!", "=")
	uf.props = true
	if t.Project {
		proj := filepath.Join(t.Dir, "gradle.properties")
		data, err := readFile(proj)
		if err != nil {
			return p, err
		}
		pf := parseKV(data, "#!", "=")
		pf.props = true
		pf.set(prefix+"Url", propEscape(t.Endpoint))
		p.Files = append(p.Files, File{Path: proj, Data: pf.bytes()})
	} else {
		uf.set(prefix+"Url", propEscape(t.Endpoint))
	}
	uf.set(prefix+"Token", propEscape(t.Token))
	p.Files = append(p.Files, File{Path: user, Data: uf.bytes(), Secret: true})
	p.Notes = []string{fmt.Sprintf("use in build.gradle:\n  repositories {\n    maven {\n      url %sUrl\n      credentials { username 'aws'; password %sToken }\n    }\n  }", prefix, prefix)}
	return p, nil
}

// propEscape escapes a .properties value (':' and '=' are fine in values;
// backslashes are not).
func propEscape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}
