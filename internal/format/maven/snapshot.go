package maven

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/meta"
)

// A SNAPSHOT version X-SNAPSHOT is one package version whose assets are
// the files of all its timestamped builds (ARTIFACT-X-yyyyMMdd.HHmmss-N…,
// Maven's unique snapshots). Its version-level maven-metadata.xml is
// generated from those assets: the current build is the newest one that
// has a POM (so a build whose upload is under way is not announced before
// its POM arrives), or the newest one when none has.

// buildFile is one file of a timestamped SNAPSHOT build.
type buildFile struct {
	timestamp  string // yyyyMMdd.HHmmss
	number     int    // the build number
	classifier string
	extension  string
	name       string
	created    time.Time
}

// value is the build's version as snapshotVersions spell it.
func (b *buildFile) value(base string) string {
	return base + b.timestamp + "-" + strconv.Itoa(b.number)
}

// newer orders builds by timestamp, then build number.
func (b *buildFile) newer(o *buildFile) bool {
	if b.timestamp != o.timestamp {
		return b.timestamp > o.timestamp
	}
	return b.number > o.number
}

// snapshotBase is X- for a version X-SNAPSHOT.
func snapshotBase(version string) string { return strings.TrimSuffix(version, "SNAPSHOT") }

// parseBuildFile parses a file name of a timestamped build of version (an
// X-SNAPSHOT) of artifact; ok is false for any other name.
func parseBuildFile(name, artifact, version string) (b buildFile, ok bool) {
	rest, found := strings.CutPrefix(name, artifact+"-"+snapshotBase(version))
	if !found || len(rest) < 17 {
		return b, false
	}
	ts := rest[:15]
	if ts[8] != '.' || !digits(ts[:8]) || !digits(ts[9:]) || rest[15] != '-' {
		return b, false
	}
	rest = rest[16:]
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i == 0 || i > 9 {
		return b, false
	}
	n, _ := strconv.Atoi(rest[:i])
	classifier, ext, ok := splitTail(rest[i:])
	if !ok {
		return b, false
	}
	return buildFile{timestamp: ts, number: n, classifier: classifier, extension: ext, name: name}, true
}

// splitTail splits what follows ARTIFACT-VERSION in a file name into
// classifier and extension: ".jar" or "-sources.jar".
func splitTail(tail string) (classifier, ext string, ok bool) {
	switch {
	case strings.HasPrefix(tail, ".") && len(tail) > 1:
		return "", tail[1:], true
	case strings.HasPrefix(tail, "-"):
		c, e, found := strings.Cut(tail[1:], ".")
		if !found || c == "" || e == "" {
			return "", "", false
		}
		return c, e, true
	}
	return "", "", false
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// snapshotState is what the version-level metadata says of a SNAPSHOT.
type snapshotState struct {
	current *buildFile            // the current build (nil: no timestamped build)
	files   map[string]*buildFile // by classifier + "\x00" + extension: the newest file up to current
	updated time.Time
}

// snapshotOf works out the state of a SNAPSHOT version from its assets.
func snapshotOf(assets []meta.Asset, artifact, version string) *snapshotState {
	var builds []buildFile
	for _, a := range assets {
		if b, ok := parseBuildFile(a.Name, artifact, version); ok {
			b.created = a.CreatedTime
			builds = append(builds, b)
		}
	}
	st := &snapshotState{files: map[string]*buildFile{}}
	for i := range builds {
		b := &builds[i]
		if b.classifier == "" && b.extension == "pom" && (st.current == nil || b.newer(st.current)) {
			st.current = b
		}
	}
	if st.current == nil {
		for i := range builds {
			if st.current == nil || builds[i].newer(st.current) {
				st.current = &builds[i]
			}
		}
	}
	if st.current == nil {
		return st
	}
	for i := range builds {
		b := &builds[i]
		if st.current.newer(b) || (b.timestamp == st.current.timestamp && b.number == st.current.number) {
			k := b.classifier + "\x00" + b.extension
			if o := st.files[k]; o == nil || b.newer(o) {
				st.files[k] = b
			}
			if b.created.After(st.updated) {
				st.updated = b.created
			}
		}
	}
	return st
}

// resolve maps a file name of the non-unique form (ARTIFACT-X-SNAPSHOT…)
// to the current build's file, or returns it unchanged.
func (st *snapshotState) resolve(name, artifact, version string) string {
	tail, ok := strings.CutPrefix(name, artifact+"-"+version)
	if !ok {
		return name
	}
	c, e, ok := splitTail(tail)
	if !ok {
		return name
	}
	if b := st.files[c+"\x00"+e]; b != nil {
		return b.name
	}
	return name
}

// renderSnapshotMetadata renders the version-level maven-metadata.xml of a
// SNAPSHOT version; ok is false when it has no timestamped build.
func renderSnapshotMetadata(group, artifact, version string, st *snapshotState) (body []byte, ok bool) {
	if st.current == nil {
		return nil, false
	}
	base := snapshotBase(version)
	keys := make([]string, 0, len(st.files))
	for k := range st.files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata modelVersion=\"1.1.0\">\n")
	elem(&b, "  ", "groupId", group)
	elem(&b, "  ", "artifactId", artifact)
	elem(&b, "  ", "version", version)
	b.WriteString("  <versioning>\n    <snapshot>\n")
	elem(&b, "      ", "timestamp", st.current.timestamp)
	elem(&b, "      ", "buildNumber", strconv.Itoa(st.current.number))
	b.WriteString("    </snapshot>\n")
	elem(&b, "    ", "lastUpdated", st.updated.UTC().Format("20060102150405"))
	b.WriteString("    <snapshotVersions>\n")
	for _, k := range keys {
		f := st.files[k]
		b.WriteString("      <snapshotVersion>\n")
		if f.classifier != "" {
			elem(&b, "        ", "classifier", f.classifier)
		}
		elem(&b, "        ", "extension", f.extension)
		elem(&b, "        ", "value", f.value(base))
		elem(&b, "        ", "updated", f.created.UTC().Format("20060102150405"))
		b.WriteString("      </snapshotVersion>\n")
	}
	b.WriteString("    </snapshotVersions>\n  </versioning>\n</metadata>\n")
	return b.Bytes(), true
}

// olderBuilds plans the move of the files of every build older than the
// current one out of a SNAPSHOT version into a version of their own,
// named as the build (X-yyyyMMdd.HHmmss-N), as CodeArtifact keeps older
// builds (Unlisted). Files of newer builds (an upload under way) and
// files of no build stay.
func olderBuilds(assets []meta.Asset, artifact, version string) map[string]string {
	st := snapshotOf(assets, artifact, version)
	out := map[string]string{}
	if st.current == nil {
		return out
	}
	base := snapshotBase(version)
	for _, a := range assets {
		if b, ok := parseBuildFile(a.Name, artifact, version); ok && st.current.newer(&b) {
			out[a.Name] = b.value(base)
		}
	}
	return out
}

// buildVersion is the version an older build's file was moved to, or "".
func buildVersion(file, artifact, version string) string {
	if !isSnapshot(version) {
		return ""
	}
	b, ok := parseBuildFile(file, artifact, version)
	if !ok {
		return ""
	}
	return b.value(snapshotBase(version))
}
