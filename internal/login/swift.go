package login

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
)

// The swift login does what `swift package-registry set` and `… login`
// do on Linux: registries.json (~/.swiftpm/configuration, or the project's
// .swiftpm/configuration with --project) gets the registry, as the default
// or for --namespace SCOPE, and token authentication for its host; the
// token goes into ~/.netrc, where SwiftPM looks it up.

func init() {
	register(Tool{Name: "swift", Format: "swift", Namespace: true, Project: true, plan: planSwift})
}

var swiftScopeRE = regexp.MustCompile(`\A[a-zA-Z0-9](?:[a-zA-Z0-9]|-[a-zA-Z0-9]){0,38}\z`)

func planSwift(t Target) (Plan, error) {
	if t.Namespace != "" && !swiftScopeRE.MatchString(t.Namespace) {
		return Plan{}, fmt.Errorf("invalid swift scope %q: 1-39 letters, digits or single hyphens", t.Namespace)
	}
	path := filepath.Join(t.Home, ".swiftpm", "configuration", "registries.json")
	if t.Project {
		path = filepath.Join(t.Dir, ".swiftpm", "configuration", "registries.json")
	}
	data, err := readFile(path)
	if err != nil {
		return Plan{}, err
	}
	doc := map[string]any{}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &doc); err != nil {
			return Plan{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	obj := func(m map[string]any, k string) (map[string]any, error) {
		v, ok := m[k]
		if !ok || v == nil {
			n := map[string]any{}
			m[k] = n
			return n, nil
		}
		n, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: %q is not an object", path, k)
		}
		return n, nil
	}
	regs, err := obj(doc, "registries")
	if err != nil {
		return Plan{}, err
	}
	key := "[default]"
	if t.Namespace != "" {
		key = t.Namespace
	}
	regs[key] = map[string]any{"url": t.Endpoint, "supportsAvailability": false}
	auth, err := obj(doc, "authentication")
	if err != nil {
		return Plan{}, err
	}
	u, _ := url.Parse(t.Endpoint)
	auth[t.hostname()] = map[string]any{"type": "token", "loginAPIPath": u.Path + "login"}
	if _, ok := doc["version"]; !ok {
		doc["version"] = 1
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return Plan{}, err
	}
	netrc, err := t.netrcFile()
	if err != nil {
		return Plan{}, err
	}
	return Plan{Files: []File{{Path: path, Data: append(out, '\n')}, netrc}}, nil
}
