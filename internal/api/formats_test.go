package api

import (
	"testing"

	"github.com/arca-repo/arca/internal/formatrules"
)

// Every format the API accepts has its coordinate rules defined in
// internal/formatrules, the one place the API, the service and the stores
// read them from.
func TestEveryAPIFormatHasRules(t *testing.T) {
	enum := shapeModels["PackageFormat"].Enum
	if len(enum) == 0 {
		t.Fatal("no PackageFormat enum in the model")
	}
	for _, f := range enum {
		if _, ok := formatrules.Lookup(f); !ok {
			t.Errorf("format %q has no rules in internal/formatrules", f)
		}
	}
}
