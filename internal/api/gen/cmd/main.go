// Command cmd writes internal/api/model_gen.go from the CodeArtifact model.
//
// Usage (from internal/api): go run ./gen/cmd -spec PATH -out model_gen.go
package main

import (
	"flag"
	"log"
	"os"

	"github.com/arca-repo/arca/internal/api/gen"
)

func main() {
	specPath := flag.String("spec", "", "path to codeartifact-service-2.json")
	out := flag.String("out", "model_gen.go", "output file")
	flag.Parse()
	raw, err := os.ReadFile(*specPath)
	if err != nil {
		log.Fatal(err)
	}
	src, err := gen.Generate(raw)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
