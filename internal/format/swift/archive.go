package swift

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Limits bound what CheckArchive accepts; the zero value of a field takes
// the default named beside it.
type Limits struct {
	// MaxEntries caps the files and directories of an archive (65,536).
	MaxEntries int
	// MaxUncompressed caps the bytes of all entries once decompressed
	// (1 GiB).
	MaxUncompressed int64
	// MaxRatio caps decompressed bytes over archive bytes (100) once the
	// decompressed total passes RatioFloor (16 MiB): a zip bomb expands
	// far more than source code does.
	MaxRatio   int64
	RatioFloor int64
	// MaxManifest caps one Package.swift or Package@swift-*.swift (1 MiB).
	MaxManifest int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = 65536
	}
	if l.MaxUncompressed <= 0 {
		l.MaxUncompressed = 1 << 30
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = 100
	}
	if l.RatioFloor <= 0 {
		l.RatioFloor = 16 << 20
	}
	if l.MaxManifest <= 0 {
		l.MaxManifest = 1 << 20
	}
	return l
}

// maxManifests caps the version-specific manifests kept from one archive.
const maxManifests = 32

// Manifest is a package manifest found at the root of a source archive.
type Manifest struct {
	// File is the file name: Package.swift or Package@swift-X[.Y[.Z]].swift.
	File string `json:"file"`
	// Swift is the X[.Y[.Z]] of a version-specific manifest's name ("" for
	// Package.swift).
	Swift string `json:"swift,omitempty"`
	// ToolsVersion is what its swift-tools-version comment declares.
	ToolsVersion string `json:"toolsVersion"`
	Body         string `json:"body"`
}

// ArchiveInfo is what CheckArchive learns of a source archive.
type ArchiveInfo struct {
	// Root is the one top-level directory (without its slash).
	Root string
	// Manifests are Package.swift first, then the version-specific ones
	// by name.
	Manifests []Manifest
	Entries   int
	// Uncompressed is the bytes of all entries, decompressed.
	Uncompressed int64
}

// errArchive is a source archive refused: the publish answers 422.
type errArchive struct{ msg string }

func (e *errArchive) Error() string { return e.msg }

func refuseArchive(format string, args ...any) error {
	return &errArchive{msg: fmt.Sprintf(format, args...)}
}

var (
	manifestVariantRE = regexp.MustCompile(`^Package@swift-(\d+)(?:\.(\d+))?(?:\.(\d+))?\.swift$`)
	toolsVersionRE    = regexp.MustCompile(`^//\s*swift-tools-version\s*:\s*(\d+(?:\.\d+){0,2})`)
)

// CheckArchive checks a source archive as `swift package archive-source`
// makes it (Registry.md §4.6.1) and as SwiftPM unpacks it (the first path
// component stripped): a zip whose every entry lies below one top-level
// directory, with a Package.swift directly in it; no absolute paths, no
// ".." or empty components, no backslashes, no duplicate names, no
// symbolic link leading out of the top-level directory; every entry
// decompressed and its CRC-32 checked, within the limits (entries,
// decompressed bytes, decompressed/compressed ratio). It returns the
// manifests at the root, each with its tools version. Every refusal is an
// *errArchive.
func CheckArchive(r io.ReaderAt, size int64, lim Limits) (*ArchiveInfo, error) {
	lim = lim.withDefaults()
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, refuseArchive("The source archive is not a readable zip file: %s.", short(err.Error()))
	}
	if len(zr.File) == 0 {
		return nil, refuseArchive("The source archive is empty.")
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, refuseArchive("The source archive has %d entries; at most %d are accepted.", len(zr.File), lim.MaxEntries)
	}
	info := &ArchiveInfo{Entries: len(zr.File)}
	names := make(map[string]bool, len(zr.File))
	budget := lim.MaxUncompressed
	ratioCap := lim.MaxRatio * size
	for _, f := range zr.File {
		name := strings.TrimSuffix(f.Name, "/")
		if err := checkEntryName(f.Name); err != nil {
			return nil, err
		}
		root, rest, _ := strings.Cut(name, "/")
		if info.Root == "" {
			info.Root = root
		} else if root != info.Root {
			return nil, refuseArchive("The source archive has more than one top-level entry ('%s' and '%s'); it must hold one directory with the package in it.", short(info.Root), short(root))
		}
		if rest == "" && !f.FileInfo().IsDir() {
			return nil, refuseArchive("The source archive's top-level entry '%s' is a file; it must be the package's directory.", short(root))
		}
		if names[name] {
			return nil, refuseArchive("The source archive holds '%s' twice.", short(name))
		}
		names[name] = true
		if f.Flags&0x1 != 0 {
			return nil, refuseArchive("The source archive's entry '%s' is encrypted.", short(name))
		}
		mode := f.Mode()
		isLink := mode.Type() == fs.ModeSymlink
		if t := mode.Type(); t != 0 && t != fs.ModeDir && !isLink {
			return nil, refuseArchive("The source archive's entry '%s' is neither a file, a directory nor a symbolic link.", short(name))
		}
		manifest := rest == "Package.swift" || manifestVariantRE.MatchString(rest)
		keep := int64(0)
		if manifest && mode.IsRegular() {
			keep = lim.MaxManifest
		}
		if isLink {
			keep = 4096
		}
		body, n, err := readEntry(f, budget, keep)
		if err != nil {
			return nil, err
		}
		budget -= n
		info.Uncompressed += n
		if info.Uncompressed > lim.RatioFloor && info.Uncompressed > ratioCap {
			return nil, refuseArchive("The source archive expands to more than %d times its size; it is refused as a zip bomb.", lim.MaxRatio)
		}
		if isLink {
			if err := checkLink(name, string(body)); err != nil {
				return nil, err
			}
			if manifest {
				return nil, refuseArchive("The source archive's %s is a symbolic link; a manifest must be a file.", short(rest))
			}
			continue
		}
		if !manifest || f.FileInfo().IsDir() {
			continue
		}
		m, err := parseManifest(rest, body)
		if err != nil {
			return nil, err
		}
		if len(info.Manifests) >= maxManifests {
			return nil, refuseArchive("The source archive has more than %d version-specific manifests.", maxManifests)
		}
		info.Manifests = append(info.Manifests, m)
	}
	sort.Slice(info.Manifests, func(i, j int) bool {
		a, b := info.Manifests[i], info.Manifests[j]
		if (a.Swift == "") != (b.Swift == "") {
			return a.Swift == ""
		}
		return a.File < b.File
	})
	if len(info.Manifests) == 0 || info.Manifests[0].Swift != "" {
		return nil, refuseArchive("The source archive has no Package.swift in its top-level directory '%s': package doesn't contain a valid manifest (Package.swift) file.", short(info.Root))
	}
	return info, nil
}

// checkEntryName refuses names that would land outside the extraction
// directory or mean different files on different systems.
func checkEntryName(name string) error {
	switch {
	case name == "" || name == "/":
		return refuseArchive("The source archive has an entry without a name.")
	case !utf8.ValidString(name):
		return refuseArchive("The source archive has an entry whose name is not UTF-8.")
	case strings.ContainsAny(name, "\\\x00"):
		return refuseArchive("The source archive's entry '%s' has a backslash or NUL in its name.", short(name))
	case strings.HasPrefix(name, "/") || len(name) > 1 && name[1] == ':':
		return refuseArchive("The source archive's entry '%s' has an absolute path.", short(name))
	}
	for _, c := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if c == "" || c == "." || c == ".." {
			return refuseArchive("The source archive's entry '%s' has an empty, '.' or '..' path component.", short(name))
		}
	}
	return nil
}

// checkLink refuses a symbolic link whose target is absolute or leads out
// of the archive's top-level directory (SwiftPM refuses such archives after
// extracting them; arca refuses to store them).
func checkLink(name, target string) error {
	if target == "" || strings.HasPrefix(target, "/") || strings.ContainsAny(target, "\\\x00") || len(target) > 1 && target[1] == ':' {
		return refuseArchive("The source archive's symbolic link '%s' points at '%s', outside the package.", short(name), short(target))
	}
	// name is ROOT/…; the link resolves relative to its directory, and
	// must stay below ROOT.
	joined := path.Join(path.Dir(name), target)
	root, _, _ := strings.Cut(name, "/")
	if joined != root && !strings.HasPrefix(joined, root+"/") {
		return refuseArchive("The source archive's symbolic link '%s' points at '%s', outside the package.", short(name), short(target))
	}
	return nil
}

// readEntry decompresses f whole (archive/zip checks its CRC-32 and size
// at the end), refusing it when it would exceed budget bytes, and returns
// its first keep bytes (an entry longer than keep, when keep > 0, is
// refused).
func readEntry(f *zip.File, budget, keep int64) ([]byte, int64, error) {
	if f.FileInfo().IsDir() {
		if f.UncompressedSize64 != 0 {
			return nil, 0, refuseArchive("The source archive's directory entry '%s' has content.", short(f.Name))
		}
		return nil, 0, nil
	}
	if f.UncompressedSize64 > uint64(budget) {
		return nil, 0, refuseArchive("The source archive expands to more than the %d bytes accepted.", budget)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, 0, refuseArchive("The source archive's entry '%s' cannot be read: %s.", short(f.Name), short(err.Error()))
	}
	defer rc.Close()
	var kept []byte
	var dst io.Writer = io.Discard
	var kb *limitedBuffer
	if keep > 0 {
		kb = &limitedBuffer{max: keep}
		dst = kb
	}
	n, err := io.Copy(dst, io.LimitReader(rc, budget+1))
	switch {
	case errors.Is(err, errTooLong):
		return nil, 0, refuseArchive("The source archive's '%s' is longer than the %d bytes accepted.", short(f.Name), keep)
	case err != nil:
		return nil, 0, refuseArchive("The source archive's entry '%s' is corrupt: %s.", short(f.Name), short(err.Error()))
	case n > budget:
		return nil, 0, refuseArchive("The source archive expands to more than the bytes accepted.")
	}
	if kb != nil {
		kept = kb.b
	}
	return kept, n, nil
}

var errTooLong = errors.New("too long")

type limitedBuffer struct {
	b   []byte
	max int64
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if int64(len(l.b)+len(p)) > l.max {
		return 0, errTooLong
	}
	l.b = append(l.b, p...)
	return len(p), nil
}

// parseManifest reads a manifest's tools version from its first line, as
// SwiftPM requires one there.
func parseManifest(file string, body []byte) (Manifest, error) {
	m := Manifest{File: file}
	if v := manifestVariantRE.FindStringSubmatch(file); v != nil {
		m.Swift = v[1]
		for _, p := range v[2:] {
			if p != "" {
				m.Swift += "." + p
			}
		}
	}
	if !utf8.Valid(body) {
		return m, refuseArchive("The source archive's %s is not UTF-8 text.", file)
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(string(body), "\ufeff"), "\n")
	tv := toolsVersionRE.FindStringSubmatch(strings.TrimSpace(first))
	if tv == nil {
		return m, refuseArchive("The source archive's %s does not start with a `// swift-tools-version:` comment: package doesn't contain a valid manifest.", file)
	}
	m.ToolsVersion = tv[1]
	m.Body = string(body)
	return m, nil
}

func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
