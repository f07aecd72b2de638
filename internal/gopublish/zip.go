// Package gopublish is the client side of publishing a Go module to an arca
// repository (`arca go publish`): it zips a module directory the way the go
// command lays out a module zip (golang.org/x/mod/zip), checks the module
// path and version as the go command and the server will, and uploads the
// zip with `PUT $module/@v/$version.zip` and a CodeArtifact token.
package gopublish

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzip "golang.org/x/mod/zip"
)

// Module is what was zipped.
type Module struct {
	Mod module.Version
	// Files are the paths inside the module (below "$module@$version/") the
	// zip holds, and Omitted the files the go command leaves out of a module
	// zip (nested modules, vendor/, VCS directories, …) with the reason.
	Files   []string
	Omitted []modzip.FileError
}

// ModulePath reads the module path from dir/go.mod. A module zip without a
// go.mod is legal for the go command (old GOPATH-era code), but arca hosts
// only modules that name themselves.
func ModulePath(dir string) (string, error) {
	gomod := filepath.Join(dir, "go.mod")
	data, err := os.ReadFile(gomod)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%s has no go.mod: a module to publish must name itself (go mod init MODULE-PATH)", dir)
		}
		return "", err
	}
	f, err := modfile.ParseLax(gomod, data, nil)
	if err != nil {
		return "", fmt.Errorf("parsing go.mod: %w", err)
	}
	if f.Module == nil || f.Module.Mod.Path == "" {
		return "", fmt.Errorf("%s has no module directive", gomod)
	}
	return f.Module.Mod.Path, nil
}

// CheckVersion refuses what the go command would refuse as a version of
// path: not canonical semantic versioning with the leading v (v1.2.3,
// v1.2.3-pre, a pseudo-version), a major version that does not match the
// path's /vN suffix (or gopkg.in's .vN), and +incompatible, which is only for
// code without a go.mod.
func CheckVersion(path, version string) error {
	if err := module.CheckPath(path); err != nil {
		return fmt.Errorf("go.mod names an invalid module path: %w", err)
	}
	if version == "" {
		return errors.New("--version is required (for example v1.2.3)")
	}
	if !semver.IsValid(version) {
		return fmt.Errorf("version %q is not a semantic version with a leading v (for example v1.2.3)", version)
	}
	if c := semver.Canonical(version); c != version {
		if semver.Build(version) != "" {
			return fmt.Errorf("version %q carries build metadata, which module versions may not; use %s", version, strings.TrimSuffix(c, semver.Build(version)))
		}
		return fmt.Errorf("version %q is not canonical; use %s", version, c)
	}
	if strings.HasSuffix(version, "+incompatible") {
		return fmt.Errorf("version %q: +incompatible is only for code without a go.mod", version)
	}
	if err := module.Check(path, version); err != nil {
		var verr *module.InvalidVersionError
		if errors.As(err, &verr) {
			return fmt.Errorf("version %s does not match module %s: %v", version, path, verr.Err)
		}
		return err
	}
	return nil
}

// Zip writes the module zip of the module in dir at version to w, as the go
// command would make it: every file below dir except nested modules,
// vendor/ (but its modules.txt), VCS directories and irregular files, each
// named "$module@$version/…".
func Zip(w io.Writer, dir, version string) (Module, error) {
	path, err := ModulePath(dir)
	if err != nil {
		return Module{}, err
	}
	if err := CheckVersion(path, version); err != nil {
		return Module{}, err
	}
	m := Module{Mod: module.Version{Path: path, Version: version}}
	cf, err := modzip.CheckDir(dir)
	if err != nil {
		return m, zipError(dir, cf, err)
	}
	// CheckDir names files by their path on disk; say them as the module does.
	rel := func(p string) string {
		if r, err := filepath.Rel(dir, p); err == nil {
			return filepath.ToSlash(r)
		}
		return p
	}
	for _, p := range cf.Valid {
		m.Files = append(m.Files, rel(p))
	}
	for _, fe := range cf.Omitted {
		m.Omitted = append(m.Omitted, modzip.FileError{Path: rel(fe.Path), Err: fe.Err})
	}
	if err := modzip.CreateFromDir(w, m.Mod, dir); err != nil {
		return m, zipError(dir, cf, err)
	}
	return m, nil
}

// zipError says which files keep dir from being a module zip.
func zipError(dir string, cf modzip.CheckedFiles, err error) error {
	if len(cf.Invalid) == 0 && cf.SizeError == nil {
		return fmt.Errorf("zipping %s: %w", dir, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s cannot be a module zip:", dir)
	for _, fe := range cf.Invalid {
		fmt.Fprintf(&b, "\n\t%s: %v", fe.Path, fe.Err)
	}
	if cf.SizeError != nil {
		fmt.Fprintf(&b, "\n\t%v", cf.SizeError)
	}
	return errors.New(b.String())
}
