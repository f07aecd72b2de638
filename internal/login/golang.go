package login

import (
	"fmt"
	"path/filepath"
	"strings"
)

// The go login does what `go env -w GOPROXY=ENDPOINT` does — it edits the
// go command's environment file ($GOENV, or $XDG_CONFIG_HOME/go/env) —
// and puts the token into ~/.netrc under HOST:PORT (the go command matches
// machine names with the port), which the go command uses to authenticate
// to a proxy over HTTPS. With --namespace PREFIX, PREFIX is added to
// GONOSUMDB, so the checksum database is not asked about private modules
// (GOPRIVATE would skip the proxy too, which is not wanted here).

func init() {
	register(Tool{Name: "go", Format: "go", Namespace: true, plan: planGo})
}

// goEnvFile is the file `go env -w` writes.
func (t Target) goEnvFile() (string, error) {
	if p := t.Getenv("GOENV"); p != "" {
		if p == "off" {
			return "", fmt.Errorf("GOENV=off: the go command reads no environment file; set GOPROXY=%s yourself", t.Endpoint)
		}
		return p, nil
	}
	return filepath.Join(t.userConfigDir(), "go", "env"), nil
}

func planGo(t Target) (Plan, error) {
	path, err := t.goEnvFile()
	if err != nil {
		return Plan{}, err
	}
	data, err := readFile(path)
	if err != nil {
		return Plan{}, err
	}
	f := parseKV(data, "#", "=")
	f.set("GOPROXY", t.Endpoint)
	if ns := t.Namespace; ns != "" {
		list, _ := f.get("GONOSUMDB")
		has := false
		for _, p := range strings.Split(list, ",") {
			has = has || p == ns
		}
		if !has {
			if list != "" {
				list += ","
			}
			f.set("GONOSUMDB", list+ns)
		}
	}
	// The go command matches a netrc machine against the URL's host
	// including its port (curl, pip and SwiftPM match the host name alone).
	npath := t.netrcPath()
	ndata, err := readFile(npath)
	if err != nil {
		return Plan{}, err
	}
	netrc := File{Path: npath, Data: setNetrc(ndata, t.host(), "aws", t.Token), Secret: true}
	var notes []string
	if strings.HasPrefix(t.Endpoint, "http:") {
		notes = append(notes, "the go command sends no credentials over plain http: serve arca with TLS for go (docs/go.md)")
	}
	if v := t.Getenv("GOPROXY"); v != "" && v != t.Endpoint {
		notes = append(notes, "GOPROXY is set in the environment ("+v+"), which wins over the go env file: unset it")
	}
	return Plan{Files: []File{{Path: path, Data: f.bytes()}, netrc}, Notes: notes}, nil
}
