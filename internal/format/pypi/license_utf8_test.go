package pypi

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// A License field longer than the kept prefix is cut between characters:
// a cut through a multi-byte character would leave invalid UTF-8, which the
// service refuses, and a valid upload would fail.
func TestLicenseCutKeepsUTF8(t *testing.T) {
	for _, lic := range []string{strings.Repeat("é", 150), "x" + strings.Repeat("✓", 100), strings.Repeat("a", 300)} {
		vm := coreMetadata{License: lic}.versionMeta()
		if len(vm.Licenses) != 1 {
			t.Fatalf("licenses = %v", vm.Licenses)
		}
		got := vm.Licenses[0].Name
		if !utf8.ValidString(got) || len(got) > maxLicenseName || len(got) < maxLicenseName-utf8.UTFMax || !strings.HasPrefix(lic, got) {
			t.Errorf("license cut to %q (%d bytes, valid UTF-8 %v)", got, len(got), utf8.ValidString(got))
		}
	}
}
