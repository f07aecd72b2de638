package maven

import (
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
)

// metadataFile is the name of Maven's repository metadata files.
const metadataFile = "maven-metadata.xml"

// checksumAlgs are the checksum files served (and accepted) beside every
// file, by extension, with the length of their hex digest.
var checksumAlgs = map[string]int{"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}

// Path is a parsed request path below a repository endpoint:
//
//	GROUP/PATH/ARTIFACT/VERSION/FILE      an artifact file
//	GROUP/PATH/ARTIFACT/maven-metadata.xml the artifact-level metadata
//
// either of them followed by .md5, .sha1, .sha256 or .sha512 for its
// checksum.
type Path struct {
	GroupID    string // the group's path segments joined by '.'
	ArtifactID string
	Version    string // "" for the artifact-level metadata
	File       string // the file's name, without a checksum extension
	Checksum   string // "", "md5", "sha1", "sha256" or "sha512"
	// Metadata is set for the artifact-level maven-metadata.xml.
	Metadata bool
	// SnapshotMetadata is set for a version-level maven-metadata.xml
	// (GROUP/ARTIFACT/X-SNAPSHOT/maven-metadata.xml).
	SnapshotMetadata bool
}

// notFound is the error of a path that names nothing this endpoint serves.
func notFound(format string, args ...any) error {
	return apierr.New(apierr.NotFound, format, args...)
}

// ParsePath parses p (what follows the repository endpoint, no leading
// slash). Paths that cannot name a Maven file are NotFound; a file whose
// name does not start with ARTIFACT-VERSION is a Validation error (a PUT
// of it is refused, a GET finds nothing).
func ParsePath(p string) (Path, error) {
	var out Path
	if p == "" {
		return out, notFound("Not found: files are under GROUP/PATH/ARTIFACT/VERSION/FILE.")
	}
	segs := strings.Split(p, "/")
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return out, notFound("Not found: the path has an empty, '.' or '..' segment.")
		}
	}
	file := segs[len(segs)-1]
	if i := strings.LastIndexByte(file, '.'); i > 0 {
		if _, ok := checksumAlgs[file[i+1:]]; ok {
			out.Checksum = file[i+1:]
			file = file[:i]
		}
	}
	out.File = file
	dirs := segs[:len(segs)-1]
	if file == metadataFile && len(dirs) >= 3 && strings.HasSuffix(dirs[len(dirs)-1], "-SNAPSHOT") {
		out.SnapshotMetadata = true
		out.Version = dirs[len(dirs)-1]
		dirs = dirs[:len(dirs)-1]
	} else if file == metadataFile {
		out.Metadata = true
	} else {
		if len(dirs) < 3 {
			return out, notFound("Not found: files are under GROUP/PATH/ARTIFACT/VERSION/FILE.")
		}
		out.Version = dirs[len(dirs)-1]
		dirs = dirs[:len(dirs)-1]
	}
	if len(dirs) < 2 {
		return out, notFound("Not found: metadata is at GROUP/PATH/ARTIFACT/maven-metadata.xml.")
	}
	for _, s := range dirs {
		if !validID(s) {
			return out, notFound("Not found: '%s' is not a valid groupId or artifactId segment (letters, digits, '_', '-' and '.').", s)
		}
	}
	out.ArtifactID = dirs[len(dirs)-1]
	out.GroupID = strings.Join(dirs[:len(dirs)-1], ".")
	if len(out.GroupID) > 255 || len(out.ArtifactID) > 255 {
		return out, notFound("Not found: groupId and artifactId are at most 255 characters.")
	}
	if out.Version != "" {
		if !formatrules.Maven.ValidVersion(out.Version) {
			return out, notFound("Not found: '%s' is not a valid Maven version.", out.Version)
		}
		if !out.SnapshotMetadata && !fileOf(file, out.ArtifactID, out.Version) {
			return out, apierr.Invalid("The file name '%s' does not start with '%s-%s' (ARTIFACT-VERSION).", file, out.ArtifactID, out.Version)
		}
	}
	return out, nil
}

// fileOf reports whether file is a file of artifact's version: named
// ARTIFACT-VERSION, then '.' (an extension) or '-' (a classifier); for
// X-SNAPSHOT also a timestamped build's ARTIFACT-X-yyyyMMdd.HHmmss-N….
func fileOf(file, artifact, version string) bool {
	rest, ok := strings.CutPrefix(file, artifact+"-"+version)
	if ok && len(rest) > 1 && (rest[0] == '.' || rest[0] == '-') {
		return true
	}
	if isSnapshot(version) {
		// A timestamped build: ARTIFACT-X-yyyyMMdd.HHmmss-N….
		_, ok := parseBuildFile(file, artifact, version)
		return ok
	}
	return false
}

// validID reports whether s may be a groupId segment or an artifactId, as
// Maven's model validator admits them: [A-Za-z0-9_.-]+.
func validID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
