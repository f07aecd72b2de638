package pkgsvc

import (
	"strings"
	"unicode/utf8"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

// Every string a client can make the service store passes checkText first,
// whatever transport it came through. The metadata stores differ in what
// text they keep: PostgreSQL refuses a NUL character and invalid UTF-8
// (and a \u0000 escape inside jsonb), SQLite keeps both. Refusing them here
// gives both backends one answer, and keeps every installation movable
// between them with arca migrate. The API's model already refuses control
// characters in most members (pattern \P{C}) and invalid UTF-8 in all, but
// not a NUL in package names, namespaces and versions ([^#/\s]+), and the
// package-manager endpoints bring names, descriptions, licenses and
// dependencies of their own.

// text is one client-supplied string and what to call it in an error.
type text struct{ what, value string }

// checkText refuses a string either metadata store could not keep.
func checkText(what, v string) error {
	if !utf8.ValidString(v) {
		return apierr.Invalid("The %s %s is not valid UTF-8; names, versions, tags and descriptions must be valid UTF-8 text.", what, quoteShort(v))
	}
	if i := strings.IndexByte(v, 0); i >= 0 {
		return apierr.Invalid("The %s %s contains a NUL character (U+0000) at byte %d; names, versions, tags and descriptions must not.", what, quoteShort(v), i)
	}
	return nil
}

// checkTexts applies checkText to each string in turn.
func checkTexts(ts ...text) error {
	for _, t := range ts {
		if err := checkText(t.what, t.value); err != nil {
			return err
		}
	}
	return nil
}

// checkCoordText checks the strings of a package coordinate.
func checkCoordText(c Coord) error {
	return checkTexts(text{"namespace", c.Namespace}, text{"package name", c.Package})
}

// checkTagText checks resource tags.
func checkTagText(tags []meta.Tag) error {
	for _, t := range tags {
		if err := checkTexts(text{"tag key", t.Key}, text{"value of tag '" + sanitize(t.Key) + "'", t.Value}); err != nil {
			return err
		}
	}
	return nil
}

// checkVersionMetaText checks the descriptive fields a package manager
// sends with a new version.
func checkVersionMetaText(m VersionMeta) error {
	err := checkTexts(text{"summary", m.Summary}, text{"home page", m.HomePage},
		text{"source code repository", m.SourceCodeRepository}, text{"readme", m.Readme})
	if err != nil {
		return err
	}
	for _, l := range m.Licenses {
		if err := checkTexts(text{"license name", l.Name}, text{"license URL", l.URL}); err != nil {
			return err
		}
	}
	for _, d := range m.Dependencies {
		if err := checkTexts(text{"dependency namespace", d.Namespace}, text{"dependency name", d.Package},
			text{"dependency type", d.DependencyType}, text{"dependency version requirement", d.VersionRequirement}); err != nil {
			return err
		}
	}
	return nil
}

// quoteShort quotes v Go-style (a NUL shows as \x00, a bad byte as \xff),
// cut to keep a message short.
func quoteShort(v string) string {
	const max = 80
	if len(v) <= max {
		return quote(v)
	}
	cut := max
	for cut > max-utf8.UTFMax && !utf8.RuneStart(v[cut]) {
		cut-- // never split a rune into bytes that would look invalid
	}
	q := quote(v[:cut])
	return q[:len(q)-1] + "…'"
}

func quote(v string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRuneInString(v[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x` + hex2(v[i]))
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x` + hex2(byte(r)))
		default:
			b.WriteString(v[i : i+n])
		}
		i += n
	}
	b.WriteByte('\'')
	return b.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

// sanitize makes a string safe to embed in a message (see quote).
func sanitize(v string) string { q := quote(v); return q[1 : len(q)-1] }

// checkFormatPublishText checks every string of a package-manager publish.
func checkFormatPublishText(in FormatPublish) error {
	err := checkTexts(text{"namespace", in.Namespace}, text{"package name", in.Package},
		text{"package version", in.Version}, text{"asset name", in.AssetName})
	if err != nil {
		return err
	}
	if err := checkVersionMetaText(in.Meta); err != nil {
		return err
	}
	for tag, v := range in.DistTags {
		if err := checkTexts(text{"dist-tag", tag}, text{"version of dist-tag '" + sanitize(tag) + "'", v}); err != nil {
			return err
		}
	}
	return nil
}

// checkRepositoryText checks a repository's name, description and
// upstream names (nil: not being set).
func checkRepositoryText(name string, description *string, upstreams *[]string) error {
	if err := checkText("repository name", name); err != nil {
		return err
	}
	if description != nil {
		if err := checkText("description", *description); err != nil {
			return err
		}
	}
	if upstreams != nil {
		for _, u := range *upstreams {
			if err := checkText("upstream repository name", u); err != nil {
				return err
			}
		}
	}
	return nil
}
