package e2e

import (
	"debug/elf"
	"os"
	"testing"
)

// The container image copies the binary into an empty (scratch) image, so
// it must not need a dynamic loader or shared libraries.
func TestBinaryIsStatic(t *testing.T) {
	t.Parallel()
	if os.Getenv("ARCA_E2E_BIN") != "" {
		t.Skip("ARCA_E2E_BIN names a binary built elsewhere (e.g. with -race, which needs cgo)")
	}
	f, err := elf.Open(arcaBin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the arca binary asks for a dynamic loader; the scratch image cannot run it")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("the arca binary needs shared libraries %v", libs)
	}
}
