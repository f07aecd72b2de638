package login

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// npm, pnpm and yarn (berry) logins.
//
// npm and pnpm read .npmrc: "registry" (or "@scope:registry") names the
// registry, "//HOST/PATH/:_authToken" its token. The token always goes to
// the user's ~/.npmrc (or $NPM_CONFIG_USERCONFIG), keyed by the registry
// URL; --project puts the registry line into the project's .npmrc, which
// can be committed since it holds no secret.
//
// Yarn berry reads .yarnrc.yml: npmRegistryServer (or npmScopes.SCOPE.
// npmRegistryServer) and, for the token, npmRegistries."URL".npmAuthToken
// in ~/.yarnrc.yml.

func init() {
	register(Tool{Name: "npm", Format: "npm", Namespace: true, Project: true, plan: planNpmrc})
	register(Tool{Name: "pnpm", Format: "npm", Namespace: true, Project: true, plan: planNpmrc})
	register(Tool{Name: "yarn", Format: "npm", Namespace: true, Project: true, plan: planYarn})
}

var npmScopeRE = regexp.MustCompile(`^@[a-z0-9-~][a-z0-9-._~]*$`)

// npmScope validates and returns the scope with its '@'.
func npmScope(ns string) (string, error) {
	if ns == "" {
		return "", nil
	}
	if !strings.HasPrefix(ns, "@") {
		ns = "@" + ns
	}
	if !npmScopeRE.MatchString(ns) {
		return "", fmt.Errorf("invalid npm scope %q: URL-safe lower-case characters, no leading dot or underscore", ns)
	}
	return ns, nil
}

func (t Target) userNpmrc() string {
	if p := t.Getenv("NPM_CONFIG_USERCONFIG"); p != "" {
		return p
	}
	if p := t.Getenv("npm_config_userconfig"); p != "" {
		return p
	}
	return filepath.Join(t.Home, ".npmrc")
}

func planNpmrc(t Target) (Plan, error) {
	scope, err := npmScope(t.Namespace)
	if err != nil {
		return Plan{}, err
	}
	key := "registry"
	if scope != "" {
		key = scope + ":registry"
	}
	user := t.userNpmrc()
	var p Plan
	userData, err := readFile(user)
	if err != nil {
		return p, err
	}
	uf := parseKV(userData, "#;", "=")
	if t.Project {
		proj := filepath.Join(t.Dir, ".npmrc")
		data, err := readFile(proj)
		if err != nil {
			return p, err
		}
		pf := parseKV(data, "#;", "=")
		pf.set(key, t.Endpoint)
		p.Files = append(p.Files, File{Path: proj, Data: pf.bytes()})
	} else {
		uf.set(key, t.Endpoint)
	}
	uf.set(t.nerfDart()+":_authToken", t.Token)
	p.Files = append(p.Files, File{Path: user, Data: uf.bytes(), Secret: true})
	return p, nil
}

func planYarn(t Target) (Plan, error) {
	scope, err := npmScope(t.Namespace)
	if err != nil {
		return Plan{}, err
	}
	user := filepath.Join(t.Home, ".yarnrc.yml")
	userData, err := readFile(user)
	if err != nil {
		return Plan{}, err
	}
	uf := parseYAML(userData)
	target, tf := uf, uf
	var p Plan
	var projPath string
	if t.Project {
		projPath = filepath.Join(t.Dir, ".yarnrc.yml")
		data, err := readFile(projPath)
		if err != nil {
			return p, err
		}
		tf = parseYAML(data)
		target = tf
	}
	server := []string{"npmRegistryServer"}
	if scope != "" {
		server = []string{"npmScopes", strings.TrimPrefix(scope, "@"), "npmRegistryServer"}
	}
	if err := target.set(server, yamlScalar(t.Endpoint)); err != nil {
		if t.Project {
			return p, fmt.Errorf("%s: %w", projPath, err)
		}
		return p, fmt.Errorf("%s: %w", user, err)
	}
	reg := strings.TrimSuffix(t.Endpoint, "/")
	if err := uf.set([]string{"npmRegistries", reg, "npmAuthToken"}, yamlScalar(t.Token)); err != nil {
		return p, fmt.Errorf("%s: %w", user, err)
	}
	if err := uf.set([]string{"npmRegistries", reg, "npmAlwaysAuth"}, "true"); err != nil {
		return p, fmt.Errorf("%s: %w", user, err)
	}
	if t.Project {
		p.Files = append(p.Files, File{Path: projPath, Data: tf.bytes()})
	}
	p.Files = append(p.Files, File{Path: user, Data: uf.bytes(), Secret: true})
	if strings.HasPrefix(t.Endpoint, "http:") {
		p.Notes = append(p.Notes, "yarn refuses plain-http registries unless their host is in unsafeHttpWhitelist (.yarnrc.yml): add "+t.hostname())
	}
	return p, nil
}
