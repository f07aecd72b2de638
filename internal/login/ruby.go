package login

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// gem and Bundler logins.
//
// gem: ~/.gemrc's :sources: list gets the endpoint with aws:TOKEN as its
// userinfo (replacing an earlier entry for the same endpoint; other
// sources stay), and ~/.gem/credentials gets the token under the endpoint
// without its final slash, which `gem push --host ENDPOINT` looks up.
//
// Bundler: ~/.bundle/config (or the project's .bundle/config with
// --project) gets the credentials for the endpoint, as `bundle config set
// --global ENDPOINT aws:TOKEN` writes them; the Gemfile names the source
// without credentials.

func init() {
	register(Tool{Name: "gem", Format: "ruby", plan: planGem})
	register(Tool{Name: "bundler", Format: "ruby", Project: true, plan: planBundler})
	register(Tool{Name: "bundle", Format: "ruby", Project: true, plan: planBundler})
}

// sameSource compares gem sources without their userinfo.
func sameSource(a, b string) bool {
	strip := func(s string) string {
		u, err := url.Parse(s)
		if err != nil {
			return s
		}
		u.User = nil
		return strings.TrimSuffix(u.String(), "/")
	}
	return strip(a) == strip(b)
}

func planGem(t Target) (Plan, error) {
	var p Plan
	rc := filepath.Join(t.Home, ".gemrc")
	if g := t.Getenv("GEMRC"); g != "" && !strings.Contains(g, string(filepath.ListSeparator)) {
		rc = g
	}
	data, err := readFile(rc)
	if err != nil {
		return p, err
	}
	f := parseYAML(data)
	srcs, err := f.list(":sources")
	if err != nil {
		return p, fmt.Errorf("%s: %w", rc, err)
	}
	var items []string
	for _, s := range srcs {
		if !sameSource(s, t.Endpoint) {
			items = append(items, s)
		}
	}
	if len(data) == 0 {
		f.lines = []string{"---"}
	}
	items = append(items, t.withUserinfo(""))
	f.setList(":sources", items)
	p.Files = append(p.Files, File{Path: rc, Data: f.bytes(), Secret: true})

	cred := filepath.Join(t.Home, ".gem", "credentials")
	cdata, err := readFile(cred)
	if err != nil {
		return p, err
	}
	cf := parseYAML(cdata)
	if len(cdata) == 0 {
		cf.lines = []string{"---"}
	}
	// `gem push --host HOST` looks its key up under HOST exactly, and
	// appends /api/v1/gems to it: the host is the endpoint without its
	// final slash.
	host := strings.TrimSuffix(t.Endpoint, "/")
	if err := cf.set([]string{host}, yamlScalar(t.Token)); err != nil {
		return p, fmt.Errorf("%s: %w", cred, err)
	}
	p.Files = append(p.Files, File{Path: cred, Data: cf.bytes(), Secret: true})
	p.Notes = []string{"push with: gem push --host " + host + " NAME.gem"}
	return p, nil
}

// bundleKey is Bundler's settings key for a source URL.
func bundleKey(endpoint string) string {
	k := strings.NewReplacer(".", "__", "-", "___").Replace(endpoint)
	return "BUNDLE_" + strings.ToUpper(k)
}

func planBundler(t Target) (Plan, error) {
	path := filepath.Join(t.Home, ".bundle", "config")
	if c := t.Getenv("BUNDLE_USER_CONFIG"); c != "" {
		path = c
	} else if h := t.Getenv("BUNDLE_USER_HOME"); h != "" {
		path = filepath.Join(h, "config")
	}
	if t.Project {
		dir := ".bundle"
		if d := t.Getenv("BUNDLE_APP_CONFIG"); d != "" {
			dir = d
		}
		path = filepath.Join(t.Dir, dir, "config")
		if filepath.IsAbs(dir) {
			path = filepath.Join(dir, "config")
		}
	}
	data, err := readFile(path)
	if err != nil {
		return Plan{}, err
	}
	f := parseYAML(data)
	f.plainKeys = true
	if len(data) == 0 {
		f.lines = []string{"---"}
	}
	if err := f.set([]string{bundleKey(t.Endpoint)}, yamlScalar("aws:"+t.Token)); err != nil {
		return Plan{}, fmt.Errorf("%s: %w", path, err)
	}
	return Plan{Files: []File{{Path: path, Data: f.bytes(), Secret: true}},
		Notes: []string{"in the Gemfile: source " + yamlScalar(t.Endpoint)}}, nil
}
