package pypi

import (
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
)

// Distribution kinds, as twine's filetype field names them.
const (
	kindWheel = "bdist_wheel"
	kindSdist = "sdist"
)

// sdistExts are the source-distribution archives accepted (the two the
// packaging specifications allow).
var sdistExts = []string{".tar.gz", ".zip"}

// fileKind returns the distribution kind a file name's extension says, ""
// for extensions that are not accepted.
func fileKind(filename string) string {
	lower := strings.ToLower(filename)
	if strings.HasSuffix(lower, ".whl") {
		return kindWheel
	}
	for _, ext := range sdistExts {
		if strings.HasSuffix(lower, ext) {
			return kindSdist
		}
	}
	return ""
}

// checkFilename validates an uploaded file's name against the project
// (normalized) and version (normalized PEP 440) of the upload form and
// returns the distribution kind: a wheel must be
// {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl, an sdist
// {name}-{version}.tar.gz or .zip, where name and version may be spelled
// in any way that normalizes to the project's.
func checkFilename(filename, project, version string) (string, error) {
	if filename == "" || filename == "." || filename == ".." || strings.ContainsAny(filename, "/\\\x00#?") ||
		strings.TrimSpace(filename) != filename || len(filename) > 255 {
		return "", apierr.Invalid("Invalid distribution file name %q.", filename)
	}
	kind := fileKind(filename)
	switch kind {
	case kindWheel:
		parts := strings.Split(filename[:len(filename)-len(".whl")], "-")
		if len(parts) != 5 && len(parts) != 6 {
			return "", apierr.Invalid("Invalid wheel file name %q: want {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl.", filename)
		}
		for _, p := range parts {
			if p == "" {
				return "", apierr.Invalid("Invalid wheel file name %q: empty component.", filename)
			}
		}
		if len(parts) == 6 && (parts[2][0] < '0' || parts[2][0] > '9') {
			return "", apierr.Invalid("Invalid wheel file name %q: the build tag must start with a digit.", filename)
		}
		// Wheel file names escape '-' in versions as '_'.
		if err := matchNameVersion(filename, parts[0], strings.ReplaceAll(parts[1], "_", "-"), project, version); err != nil {
			return "", err
		}
		return kind, nil
	case kindSdist:
		base := filename
		for _, ext := range sdistExts {
			if strings.HasSuffix(strings.ToLower(base), ext) {
				base = base[:len(base)-len(ext)]
				break
			}
		}
		// Old sdists kept dashes in the name ("my-pkg-1.0.tar.gz"): any
		// dash may separate name from version.
		var firstErr error
		for i := strings.IndexByte(base, '-'); i >= 0; {
			err := matchNameVersion(filename, base[:i], base[i+1:], project, version)
			if err == nil {
				return kind, nil
			}
			if firstErr == nil || formatrules.PyPI.Normalize(base[:i]) == project {
				firstErr = err
			}
			j := strings.IndexByte(base[i+1:], '-')
			if j < 0 {
				break
			}
			i += 1 + j
		}
		if firstErr == nil {
			firstErr = apierr.Invalid("Invalid sdist file name %q: want {name}-{version}.tar.gz or .zip.", filename)
		}
		return "", firstErr
	default:
		return "", apierr.Invalid("Invalid distribution file %q: only wheels (.whl) and sdists (.tar.gz, .zip) can be uploaded.", filename)
	}
}

// matchNameVersion checks the name and version parts of a file name.
func matchNameVersion(filename, name, ver, project, version string) error {
	if formatrules.PyPI.Normalize(name) != project {
		return apierr.Invalid("File name %q does not start with the project name %s.", filename, project)
	}
	v, ok := formatrules.PyPI.Version(ver)
	if !ok || v != version {
		return apierr.Invalid("File name %q does not name version %s.", filename, version)
	}
	return nil
}

// projectFromFilename returns the project (normalized) a distribution file
// name says it is of, or "" when it does not say: not a wheel or sdist
// name, or an sdist name that splits into a valid name and version in more
// than one way ("a-b-1.0.tar.gz" is project a-b, but "a-1-1.tar.gz" could
// be a 1-1 or a-1 1). It is what an upload is authorized on when its file
// comes before its name field; checkFilename later holds the fields to it.
func projectFromFilename(filename string) string {
	if _, _, ok := strings.Cut(filename, "/"); ok || strings.ContainsAny(filename, "\\\x00") {
		return ""
	}
	valid := func(name, ver string) string {
		p, err := checkProjectName(name)
		if err != nil {
			return ""
		}
		if _, ok := formatrules.PyPI.Version(ver); !ok {
			return ""
		}
		return p
	}
	switch fileKind(filename) {
	case kindWheel:
		parts := strings.Split(filename[:len(filename)-len(".whl")], "-")
		if len(parts) != 5 && len(parts) != 6 {
			return ""
		}
		return valid(parts[0], strings.ReplaceAll(parts[1], "_", "-"))
	case kindSdist:
		base := filename
		for _, ext := range sdistExts {
			if strings.HasSuffix(strings.ToLower(base), ext) {
				base = base[:len(base)-len(ext)]
				break
			}
		}
		project := ""
		for i := 0; i < len(base); i++ {
			if base[i] != '-' {
				continue
			}
			p := valid(base[:i], base[i+1:])
			switch {
			case p == "":
			case project == "" || project == p:
				project = p
			default:
				return "" // ambiguous
			}
		}
		return project
	}
	return ""
}
