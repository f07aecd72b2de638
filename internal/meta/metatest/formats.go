package metatest

import (
	"bytes"
	"slices"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

func formatTests() tests {
	return tests{
		{"FormatMetadataRoundTrip", testFormatMetadata},
		{"DistTags", testDistTags},
		{"PackageAssets", testPackageAssets},
	}
}

// Format metadata is opaque bytes: stored verbatim (any byte, NUL
// included), replaced by updates, and nil reads back as empty.
func testFormatMetadata(f *fixture) {
	t := f.t
	p := f.pkg(f.repo(f.domain("111111111111", "dom"), "repo"), "npm", "", "pkg")
	raw := []byte("{\"name\":\"pkg\"}\x00\xff binary")
	v := f.version(p, "1.0.0", func(v *meta.PackageVersion) { v.FormatMetadata = raw })
	got, err := f.s.GetPackageVersion(f.ctx, p.ID, "1.0.0")
	must(t, err, "GetPackageVersion")
	if !bytes.Equal(got.FormatMetadata, raw) {
		t.Fatalf("format metadata = %q, want %q", got.FormatMetadata, raw)
	}
	v.FormatMetadata = []byte("second")
	f.update(func(tx meta.Tx) error { return tx.UpdatePackageVersion(f.ctx, v) })
	vs, _, err := f.s.ListPackageVersions(f.ctx, meta.VersionFilter{PackageID: p.ID}, meta.ListOptions{Limit: 10})
	must(t, err, "ListPackageVersions")
	if len(vs) != 1 || string(vs[0].FormatMetadata) != "second" {
		t.Fatalf("listed format metadata = %+v, want \"second\"", vs)
	}
	f.version(p, "2.0.0")
	got, err = f.s.GetPackageVersion(f.ctx, p.ID, "2.0.0")
	must(t, err, "GetPackageVersion without metadata")
	if len(got.FormatMetadata) != 0 {
		t.Fatalf("absent format metadata read back as %q", got.FormatMetadata)
	}
}

func testDistTags(f *fixture) {
	t := f.t
	r := f.repo(f.domain("111111111111", "dom"), "repo")
	p := f.pkg(r, "npm", "", "pkg")
	other := f.pkg(r, "npm", "", "other")
	tags := func(p *meta.Package) []meta.DistTag {
		got, err := f.s.ListDistTags(f.ctx, p.ID)
		must(t, err, "ListDistTags")
		return got
	}
	if got := tags(p); got == nil || len(got) != 0 {
		t.Fatalf("tags of a new package = %#v, want empty non-nil", got)
	}
	put := func(p *meta.Package, tag, version string) {
		f.update(func(tx meta.Tx) error { return tx.PutDistTag(f.ctx, p.ID, meta.DistTag{Tag: tag, Version: version}) })
	}
	put(p, "latest", "1.0.0")
	put(p, "beta", "2.0.0-b.1")
	put(p, "latest", "1.1.0") // moves
	put(other, "latest", "9.0.0")
	want := []meta.DistTag{{Tag: "beta", Version: "2.0.0-b.1"}, {Tag: "latest", Version: "1.1.0"}}
	if got := tags(p); !slices.Equal(got, want) {
		t.Fatalf("tags = %v, want %v", got, want)
	}
	f.update(func(tx meta.Tx) error { return tx.DeleteDistTag(f.ctx, p.ID, "beta") })
	if got := tags(p); !slices.Equal(got, want[1:]) {
		t.Fatalf("tags after delete = %v, want %v", got, want[1:])
	}
	wantNotFound(t, f.try(func(tx meta.Tx) error { return tx.DeleteDistTag(f.ctx, p.ID, "beta") }), "dist-tag", "deleting an absent tag")
	wantNotFound(t, f.try(func(tx meta.Tx) error {
		return tx.PutDistTag(f.ctx, "no-such-package", meta.DistTag{Tag: "latest", Version: "1"})
	}), apierr.ResPackage, "tag of an absent package")
	f.update(func(tx meta.Tx) error { return tx.DeletePackage(f.ctx, p.ID) })
	if got := tags(p); len(got) != 0 {
		t.Fatalf("tags outlived their package: %v", got)
	}
	if got := tags(other); len(got) != 1 {
		t.Fatalf("other package's tags = %v", got)
	}
}

func testPackageAssets(f *fixture) {
	t := f.t
	r := f.repo(f.domain("111111111111", "dom"), "repo")
	p := f.pkg(r, "pypi", "", "pkg")
	other := f.pkg(r, "pypi", "", "other")
	v1, v2 := f.version(p, "1.0"), f.version(p, "2.0")
	f.version(p, "3.0") // no assets
	ov := f.version(other, "1.0")
	f.asset(v2, "pkg-2.0.tar.gz", 2, "sha-b")
	f.asset(v1, "pkg-1.0-py3-none-any.whl", 1, "sha-a")
	f.asset(v1, "pkg-1.0.tar.gz", 1, "sha-c")
	f.asset(ov, "other-1.0.tar.gz", 1, "sha-d")
	got, err := f.s.ListPackageAssets(f.ctx, p.ID)
	must(t, err, "ListPackageAssets")
	if len(got) != 3 {
		t.Fatalf("got %d assets, want 3: %+v", len(got), got)
	}
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if a.VersionID > b.VersionID || (a.VersionID == b.VersionID && a.Name >= b.Name) {
			t.Fatalf("not ordered by version id, name: %+v", got)
		}
	}
	for _, a := range got {
		if a.VersionID != v1.ID && a.VersionID != v2.ID {
			t.Fatalf("asset of another package listed: %+v", a)
		}
		if a.SHA256 == "" || a.Size == 0 {
			t.Fatalf("asset not filled: %+v", a)
		}
	}
	none, err := f.s.ListPackageAssets(f.ctx, "no-such-package")
	must(t, err, "ListPackageAssets of an absent package")
	if len(none) != 0 {
		t.Fatalf("absent package has assets: %+v", none)
	}
}
