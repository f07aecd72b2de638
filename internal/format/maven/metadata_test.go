package maven

import (
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

func TestRenderMetadata(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2024, 5, 6, 7, 8, s, 0, time.UTC) }
	v := func(ver, status string, pub time.Time) pkgsvc.ViewVersion {
		return pkgsvc.ViewVersion{Version: meta.PackageVersion{Version: ver, Status: status, PublishedTime: pub}}
	}
	view := &pkgsvc.PackageView{Namespace: "org.acme", Name: "a<b", Versions: []pkgsvc.ViewVersion{
		v("1.0", meta.StatusPublished, at(1)), v("1.1", meta.StatusUnlisted, at(9)),
		v("2.0", meta.StatusPublished, at(3)), v("3.0-SNAPSHOT", meta.StatusPublished, at(2)),
	}}
	b, ok := RenderMetadata(view)
	if !ok {
		t.Fatal("nothing rendered")
	}
	s := string(b)
	for _, want := range []string{"<artifactId>a&lt;b</artifactId>", "<latest>3.0-SNAPSHOT</latest>", "<release>2.0</release>",
		"<lastUpdated>20240506070803</lastUpdated>"} {
		if !strings.Contains(s, want) {
			t.Errorf("lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "1.1") {
		t.Errorf("an Unlisted version is listed:\n%s", s)
	}
	if _, ok := RenderMetadata(&pkgsvc.PackageView{Versions: []pkgsvc.ViewVersion{v("1", meta.StatusUnlisted, at(1))}}); ok {
		t.Error("rendered a page of Unlisted versions only")
	}
}
