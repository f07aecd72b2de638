package formatrules

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

// rangeCases are node-semver's validRange verdicts (checked against
// node-semver by TestNPMValidRangeMatchesNodeSemver where node is
// installed).
var rangeCases = map[string]bool{
	// Tags real packages publish with.
	"latest": false, "next": false, "beta": false, "v7-legacy": false, "v6line": false,
	"legacy-1.x": false, "canary_2": false, "vnext": false, "xx": false, "v": false, "x-legacy": false,
	"next-11": false, "v3-lts": false, "release-v2": false, "1.x-legacy": false,
	// Ranges.
	"": true, "*": true, "x": true, "X": true, "1.x": true, "1.X": true, "1.2.x": true, "1.*": true, "1.2.*": true,
	"1.2.3": true, "v1.2.3": true, "=1.2.3": true, "v1": true, "1": true, "1.2": true, "^1": true, "^1.2.3": true,
	"~1": true, "~1.2": true, "~>1.2.3": true, "~ 1.2": true, "^ 1": true, ">=1 <2": true, ">= 1.2.3": true,
	"<1.0.0-0": true, ">1": true, "<=1.x": true, ">1.2": true, "1.2.3 - 2.3.4": true, "1.2 - 2": true,
	"* - 1": true, "1.2.3-beta.1": true, "1.2.3+build.5": true, "1.2.3-rc.1+sha.1": true, "^0.0.1": true,
	"^0.1.x": true, "1 || 2": true, "1.2.3 || >=2 <3": true, "||": true, " 1.2.3 ": true, "1.2.3*": true,
	"*1.2.3": true, "latest+build": false, "1.0.0+": false,
	// Not ranges.
	"1.2.3 || foo": false, "foo || 1": false, "=1.2.3 - 2": false, "01.2.3": false, "1.2.3.4": false,
	"1.x.2": false, "x.1": false, "1.2.3-": false, "^1.2.3-01": false, "~>": false, "^": false, "~": false,
	">": false, "<": false, ">=": false, "=": false, "1.2.3beta": false, "9007199254740991.0.0": true,
	"9007199254740992.0.0": false, "^9007199254740991": false, "~1.9007199254740991": false,
	">9007199254740991": false, "1 - 9007199254740991": false, "1.2.3 -": false, "- 1.2.3": false,
}

func TestNPMValidRangeTable(t *testing.T) {
	for s, want := range rangeCases {
		if got := NPMValidRange(s); got != want {
			t.Errorf("NPMValidRange(%q) = %v, want %v", s, got, want)
		}
	}
}

// The dist-tag rule: not a range, only encodeURIComponent-safe characters.
func TestCheckNPMDistTag(t *testing.T) {
	for _, good := range []string{"latest", "next", "beta", "v7-legacy", "v6line", "legacy-1.x", "canary_2", "vnext",
		"v-next", "xx", "it's(ok)!", "~tilde", strings.Repeat("a", 255)} {
		if err := CheckNPMDistTag(good); err != nil {
			t.Errorf("CheckNPMDistTag(%q): %v", good, err)
		}
	}
	for bad, why := range map[string]string{
		"": "1 to 255", strings.Repeat("a", 256): "1 to 255", "1.x": "semver range", "1.2.3": "semver range",
		"^1": "semver range", ">=1 <2": "semver range", "v2": "semver range", "*": "semver range", "x": "semver range",
		"a/b": "'/'", "a b": "' '", "a%20": "'%'", "a+b": "'+'", "tag|x": "'|'", "é": "'é'", "a:b": "':'", "a@b": "'@'",
	} {
		err := CheckNPMDistTag(bad)
		if !apierr.Is(err, apierr.Validation) || !strings.Contains(err.Error(), why) {
			t.Errorf("CheckNPMDistTag(%q) = %v, want a ValidationException saying %s", bad, err, why)
		}
	}
}

// rangeCorpus is the table plus random strings over the range syntax's
// tokens, deterministic.
func rangeCorpus() []string {
	var out []string
	for s := range rangeCases {
		out = append(out, s)
	}
	tokens := []string{"0", "1", "2", "10", "01", "9007199254740991", "9007199254740992", ".", ".", ".", "x", "X", "*",
		"v", "=", "<", ">", ">=", "<=", "^", "~", "~>", "-", " - ", " ", "  ", "||", " || ", "+", "+build", "-beta",
		"-0", ".1", "a", "legacy", "next", "\t", "\u00a0", "-rc.1", "1.2.3", "1.2", "v1.2.3", "|", "-x"}
	rnd := rand.New(rand.NewSource(12))
	for i := 0; i < 30000; i++ {
		var b strings.Builder
		for n := 1 + rnd.Intn(7); n > 0; n-- {
			b.WriteString(tokens[rnd.Intn(len(tokens))])
		}
		out = append(out, b.String())
	}
	const chars = "0123456789.xX*v=<>^~-+| \tab"
	for i := 0; i < 20000; i++ {
		b := make([]byte, 1+rnd.Intn(12))
		for j := range b {
			b[j] = chars[rnd.Intn(len(chars))]
		}
		out = append(out, string(b))
	}
	return out
}

// nodeSemver finds the semver module npm itself uses.
func nodeSemver(t *testing.T) string {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed; the table test stands alone")
	}
	root, err := exec.Command("npm", "root", "-g").Output()
	if err != nil {
		t.Skipf("npm root -g: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(root)), "npm", "node_modules", "semver")
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		t.Skipf("npm's semver is not at %s", dir)
	}
	return dir
}

// NPMValidRange agrees with node-semver's validRange on the table and on
// tens of thousands of generated strings.
func TestNPMValidRangeMatchesNodeSemver(t *testing.T) {
	dir := nodeSemver(t)
	corpus := rangeCorpus()
	in, _ := json.Marshal(corpus)
	cmd := exec.Command("node", "-e", `const v = require(process.argv[1]).validRange;
let s = ''; process.stdin.on('data', d => s += d).on('end', () =>
  process.stdout.write(JSON.stringify(JSON.parse(s).map(x => v(x) !== null))))`, dir)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var want []bool
	if err := json.Unmarshal(out, &want); err != nil || len(want) != len(corpus) {
		t.Fatalf("node answered %d verdicts for %d strings: %v", len(want), len(corpus), err)
	}
	bad := 0
	for i, s := range corpus {
		if got := NPMValidRange(s); got != want[i] {
			if bad++; bad <= 20 {
				t.Errorf("NPMValidRange(%q) = %v, node-semver says %v", s, got, want[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d strings disagree", bad, len(corpus))
	}
}

func FuzzNPMValidRange(f *testing.F) {
	for s := range rangeCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		NPMValidRange(s) // must not panic
		if err := CheckNPMDistTag(s); err == nil && (s == "" || NPMValidRange(s)) {
			t.Fatalf("CheckNPMDistTag(%q) accepted a range", s)
		}
	})
}
