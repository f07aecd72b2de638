package pkgsvc

import (
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

func TestCheckText(t *testing.T) {
	for _, ok := range []string{"", "plain", "café ✓ 日本", "tab\tand\nnewline"} {
		if err := checkText("value", ok); err != nil {
			t.Errorf("checkText(%q) = %v", ok, err)
		}
	}
	for v, want := range map[string]string{
		"nul\x00pkg":                        `The package name 'nul\x00pkg' contains a NUL character (U+0000) at byte 3`,
		"caf\xe9":                           `The package name 'caf\xe9' is not valid UTF-8`,
		strings.Repeat("é", 60) + "\x00":    "…' contains a NUL character (U+0000) at byte 120",
		"\xff" + strings.Repeat("a", 200):   `The package name '\xffaaa`,
		strings.Repeat("✓", 40) + "\xc3(x)": "is not valid UTF-8",
	} {
		err := checkText("package name", v)
		if !apierr.Is(err, apierr.Validation) || !strings.Contains(err.Error(), want) {
			t.Errorf("checkText(%q) = %v, want a ValidationException containing %q", v, err, want)
		}
		if e, _ := err.(*apierr.Error); e == nil || e.Reason != apierr.ReasonFieldValidation {
			t.Errorf("checkText(%q): reason not FIELD_VALIDATION_FAILED", v)
		}
		if strings.Contains(err.Error(), "\x00") {
			t.Errorf("the message carries the NUL itself: %q", err.Error())
		}
	}
	err := checkFormatPublishText(FormatPublish{Package: "p", Version: "1", AssetName: "a",
		Meta: VersionMeta{Dependencies: []meta.Dependency{{Package: "left\x00pad"}}}})
	if err == nil || !strings.Contains(err.Error(), "dependency name") {
		t.Errorf("a NUL in a dependency: %v", err)
	}
	if err := checkTagText([]meta.Tag{{Key: "k\x00", Value: "v"}}); err == nil {
		t.Error("a NUL in a tag key passed")
	}
}
