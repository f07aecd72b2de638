package login

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzEditors feeds arbitrary existing files to every editor: none may
// panic, an edit it accepts must be idempotent (the same edit over its
// output changes nothing), and the XML editor must keep a well-formed
// document well-formed.
func FuzzEditors(f *testing.F) {
	matches, _ := filepath.Glob(filepath.Join("testdata", "*.in"))
	for _, m := range matches {
		b, _ := os.ReadFile(m)
		for _, body := range splitArchive(b) {
			f.Add([]byte(body))
		}
	}
	f.Add([]byte("[a]\nb = [\n 'x',\n]\n[[index]]\nname = \"n\"\n"))
	f.Add([]byte("a:\n  b: {c: d}\n- x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		twice := func(what string, edit func([]byte) ([]byte, error)) {
			once, err := edit(data)
			if err != nil {
				return
			}
			again, err := edit(once)
			if err != nil {
				t.Fatalf("%s: the edit's own output is refused: %v\n%q", what, err, once)
			}
			if !bytes.Equal(once, again) {
				t.Fatalf("%s: not idempotent:\n%q\n%q", what, once, again)
			}
		}
		twice("kv", func(b []byte) ([]byte, error) {
			f := parseKV(b, "#;", "=")
			f.set("//h/p/:_authToken", "T")
			return f.bytes(), nil
		})
		twice("ini", func(b []byte) ([]byte, error) {
			f := parseINI(b)
			f.set("global", "index-url", "http://aws:T@h/simple/")
			f.set("distutils", "index-servers", "\npypi\nn")
			return f.bytes(), nil
		})
		twice("toml", func(b []byte) ([]byte, error) {
			f := parseTOML(b)
			if err := f.set([]string{"registries", "n"}, [][2]string{{"index", `"sparse+h"`}, {"x", "[1,\n2]"}}); err != nil {
				return nil, err
			}
			if err := f.setArrayEntry([]string{"index"}, "name", "n", [][2]string{{"url", `"u"`}}); err != nil {
				return nil, err
			}
			return f.bytes(), nil
		})
		twice("yaml", func(b []byte) ([]byte, error) {
			f := parseYAML(b)
			if err := f.set([]string{"npmRegistries", "//h/", "npmAuthToken"}, `"T"`); err != nil {
				return nil, err
			}
			items, err := f.list(":sources")
			if err != nil {
				return nil, err
			}
			f.setList(":sources", append(items[:0:0], "http://h/"))
			return f.bytes(), nil
		})
		twice("netrc", func(b []byte) ([]byte, error) { return setNetrc(b, "h", "aws", "T"), nil })
		if root, err := parseXML(data); err == nil && root.name == "settings" {
			twice("xml", func(b []byte) ([]byte, error) { return editSettings(b, "n", "http://h/", "T") })
			if out, err := editSettings(data, "n", "http://h/", "T"); err == nil {
				if _, err := parseXML(out); err != nil {
					t.Fatalf("settings.xml no longer well-formed: %v\n%q", err, out)
				}
			}
		}
	})
}

func splitArchive(b []byte) []string {
	var out []string
	for _, part := range bytes.Split(b, []byte("\n-- ")) {
		if i := bytes.Index(part, []byte(" --\n")); i >= 0 {
			out = append(out, string(part[i+4:]))
		}
	}
	return out
}
