package pypi

import (
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

func TestCheckFilename(t *testing.T) {
	for _, c := range []struct {
		file, project, version, kind string
	}{
		{"my_pkg-1.0-py3-none-any.whl", "my-pkg", "1.0", kindWheel},
		{"My.Pkg-1.0-py3-none-any.whl", "my-pkg", "1.0", kindWheel},
		{"my_pkg-1.0-1-py3-none-any.whl", "my-pkg", "1.0", kindWheel},
		{"my_pkg-1.0.post1-cp311-cp311-manylinux_2_17_x86_64.whl", "my-pkg", "1.0.post1", kindWheel},
		{"pkg-1.0_1-py3-none-any.whl", "pkg", "1.0.post1", kindWheel},
		{"pkg-1.0-py2.py3-none-any.WHL", "pkg", "1.0", kindWheel},
		{"my-pkg-1.0.tar.gz", "my-pkg", "1.0", kindSdist},
		{"my_pkg-1.0.tar.gz", "my-pkg", "1.0", kindSdist},
		{"My.Pkg-1.0rc1.zip", "my-pkg", "1.0rc1", kindSdist},
		{"my-pkg-1.0-1.tar.gz", "my-pkg", "1.0.post1", kindSdist},
		{"pkg--1.0.tar.gz", "pkg", "1.0", kindSdist},
		{"pkg-1.0.TAR.GZ", "pkg", "1.0", kindSdist},
	} {
		kind, err := checkFilename(c.file, c.project, c.version)
		if err != nil || kind != c.kind {
			t.Errorf("checkFilename(%q, %s, %s) = %q, %v; want %s", c.file, c.project, c.version, kind, err, c.kind)
		}
	}
	for _, c := range []struct {
		file, project, version, why string
	}{
		{"other-1.0-py3-none-any.whl", "pkg", "1.0", "project name"},
		{"pkg-2.0-py3-none-any.whl", "pkg", "1.0", "version"},
		{"pkg-1.0-none-any.whl", "pkg", "1.0", "Invalid wheel"},
		{"pkg-1.0-x-py3-none-any.whl", "pkg", "1.0", "build tag"},
		{"pkg-1.0--none-any.whl", "pkg", "1.0", "empty"},
		{"pkg-1.0.tar.bz2", "pkg", "1.0", "only wheels"},
		{"pkg-1.0.egg", "pkg", "1.0", "only wheels"},
		{"pkg-1.0.exe", "pkg", "1.0", "only wheels"},
		{"pkg-1.1.tar.gz", "pkg", "1.0", "version"},
		{"pkgx-1.0.tar.gz", "pkg", "1.0", "project name"},
		{"pkg.tar.gz", "pkg", "1.0", "sdist"},
		{"../pkg-1.0.tar.gz", "pkg", "1.0", "Invalid distribution file name"},
		{"pkg-1.0.tar.gz ", "pkg", "1.0", "Invalid distribution file name"},
		{"", "pkg", "1.0", "Invalid distribution file name"},
		{strings.Repeat("p", 250) + "-1.0.tar.gz", "pkg", "1.0", "Invalid distribution file name"},
	} {
		_, err := checkFilename(c.file, c.project, c.version)
		if !apierr.Is(err, apierr.Validation) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("checkFilename(%q, %s, %s) = %v; want a ValidationException about %q", c.file, c.project, c.version, err, c.why)
		}
	}
}

func FuzzCheckFilename(f *testing.F) {
	f.Add("my_pkg-1.0-py3-none-any.whl", "my-pkg", "1.0")
	f.Add("my-pkg-1.0-1.tar.gz", "my-pkg", "1.0.post1")
	f.Fuzz(func(t *testing.T, file, project, version string) {
		kind, err := checkFilename(file, project, version)
		if err == nil && kind != kindWheel && kind != kindSdist {
			t.Fatalf("kind %q without error", kind)
		}
		if err != nil && !apierr.Is(err, apierr.Validation) {
			t.Fatalf("error of another kind: %v", err)
		}
		// An upload whose file comes first is authorized on the project
		// its name gives: a file checkFilename accepts for a valid
		// project never names another one.
		p := projectFromFilename(file)
		if p != "" {
			if n, err := checkProjectName(p); err != nil || n != p {
				t.Fatalf("projectFromFilename(%q) = %q, not a normalized project name", file, p)
			}
		}
		if n, perr := checkProjectName(project); err == nil && perr == nil && n == project && p != "" && p != project {
			t.Fatalf("%q is a file of %s, but projectFromFilename says %s", file, project, p)
		}
	})
}

func TestProjectFromFilename(t *testing.T) {
	for file, want := range map[string]string{
		"My_Pkg-1.0-py3-none-any.whl":         "my-pkg",
		"my_pkg-1.0-1-py3-none-any.whl":       "my-pkg",
		"my_pkg-1.0.tar.gz":                   "my-pkg",
		"My.Pkg-2.0rc1.zip":                   "my-pkg",
		"my-old-pkg-1.0.tar.gz":               "my-old-pkg", // only one split has a version
		"a-1-1.tar.gz":                        "",           // a 1-1, or a-1 1
		"my_pkg-1.0.whl":                      "",           // too few wheel parts
		"my_pkg-notaversion-py3-none-any.whl": "",
		"-1.0.tar.gz":                         "",
		"pkg.tar.gz":                          "",
		"pkg-1.0.exe":                         "",
		"../pkg-1.0.tar.gz":                   "",
		"":                                    "",
	} {
		if got := projectFromFilename(file); got != want {
			t.Errorf("projectFromFilename(%q) = %q, want %q", file, got, want)
		}
	}
}
