package cargo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// IndexPath returns the sparse index path of a crate below the index root,
// as cargo computes it from the lowercased name: 1/NAME, 2/NAME,
// 3/C/NAME, or AB/CD/NAME.
func IndexPath(name string) string {
	n := strings.ToLower(name)
	switch len(n) {
	case 0:
		return ""
	case 1:
		return "1/" + n
	case 2:
		return "2/" + n
	case 3:
		return "3/" + n[:1] + "/" + n
	}
	return n[:2] + "/" + n[2:4] + "/" + n
}

// ParseIndexPath returns the crate a sparse index path names, or false
// when the path is not one (a wrong prefix directory, a bad name). The
// comparison ignores case: cargo asks for the lowercased path.
func ParseIndexPath(p string) (string, bool) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", false
	}
	name := p[i+1:]
	if CheckName(name) != nil || !strings.EqualFold(IndexPath(name), p) {
		return "", false
	}
	return name, true
}

// crateAsset is the asset name of a crate version's .crate file.
func crateAsset(name, version string) string { return name + "-" + version + ".crate" }

// indexFile is a rendered index file.
type indexFile struct {
	body []byte
	etag string
	time time.Time
}

func (f *indexFile) size() int { return len(f.body) + 128 }

// RenderIndex renders a crate's index file from the versions visible
// through a repository: one JSON line per version that has format metadata
// and a .crate, the checksum being that of the stored .crate and "yanked"
// true for an Unlisted version. It returns false when no line results.
func RenderIndex(view *pkgsvc.PackageView) (*indexFile, bool) {
	var b bytes.Buffer
	f := &indexFile{}
	for i := range view.Versions {
		vv := &view.Versions[i]
		var e IndexEntry
		if len(vv.Version.FormatMetadata) == 0 || json.Unmarshal(vv.Version.FormatMetadata, &e) != nil {
			continue
		}
		var crate *meta.Asset
		for j := range vv.Assets {
			if strings.HasSuffix(vv.Assets[j].Name, ".crate") {
				crate = &vv.Assets[j]
			}
		}
		if crate == nil && vv.External == "" {
			continue
		}
		if crate != nil {
			e.Cksum = crate.SHA256
		}
		if e.Cksum == "" {
			continue
		}
		e.Vers = vv.Version.Version
		e.Yanked = vv.Version.Status == meta.StatusUnlisted
		line, err := json.Marshal(&e)
		if err != nil {
			continue
		}
		b.Write(line)
		b.WriteByte('\n')
		if t := vv.Version.PublishedTime; t.After(f.time) {
			f.time = t
		}
	}
	if b.Len() == 0 {
		return nil, false
	}
	f.body = b.Bytes()
	sum := sha256.Sum256(f.body)
	f.etag = `"` + hex.EncodeToString(sum[:16]) + `"`
	return f, true
}
