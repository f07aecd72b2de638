package api

import (
	"os"
	"regexp"
	"testing"
)

// docs/status.md must say "yes" for exactly the operations with a handler.
func TestStatusDocMatchesHandlers(t *testing.T) {
	b, err := os.ReadFile("../../docs/status.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| (\\w+) \\| `[A-Z]+ [^`]+` \\| (yes|not yet) \\|$").FindAllStringSubmatch(string(b), -1)
	if len(rows) != len(operationModels) {
		t.Fatalf("docs/status.md has %d operation rows, the model %d", len(rows), len(operationModels))
	}
	for _, r := range rows {
		_, implemented := handlers[r[1]]
		if implemented != (r[2] == "yes") {
			t.Errorf("docs/status.md says %s is %q, but implemented=%v", r[1], r[2], implemented)
		}
	}
}
