package api

//go:generate go run ./gen/cmd -spec ../../../shared/spec/codeartifact-service-2.json -out model_gen.go

import (
	"regexp"
	"strings"
	"sync"
)

// loc is where an input member travels.
type loc int

const (
	locBody loc = iota
	locQuery
	locHeader
	locPayload
)

// paramModel is one input member of an operation, as the model declares it.
type paramModel struct {
	Member   string
	Wire     string
	Loc      loc
	Shape    string
	Required bool
}

// opModel is one operation of the model.
type opModel struct {
	Name    string
	Method  string
	Path    string
	Payload string
	Params  []paramModel
}

// shapeModel carries the constraints of one shape.
type shapeModel struct {
	Type     string
	Min, Max *int64
	Pattern  string
	Enum     []string
	Member   string            // list element shape
	Key      string            // map key shape
	Value    string            // map value shape
	Members  map[string]string // structure member → shape
	Required []string

	once sync.Once
	re   *regexp.Regexp
}

func ptr[T any](v T) *T { return &v }

// regexp compiles the shape's pattern as a whole-value match. The model's
// patterns are Java regexes; the one Java-only class it uses is translated.
func (s *shapeModel) regexp() *regexp.Regexp {
	s.once.Do(func() {
		if s.Pattern == "" {
			return
		}
		p := strings.ReplaceAll(s.Pattern, `\p{IsWhitespace}`, `\s\p{Z}`)
		s.re = regexp.MustCompile(`^(?:` + p + `)$`)
	})
	return s.re
}

// opsByRoute indexes operations by "METHOD PATH".
var opsByRoute = func() map[string]*opModel {
	m := make(map[string]*opModel, len(operationModels))
	for i := range operationModels {
		op := &operationModels[i]
		m[op.Method+" "+op.Path] = op
	}
	return m
}()

// pathKnown reports whether any operation lives at path (to tell an unknown
// path from a wrong method).
func pathKnown(path string) bool {
	for i := range operationModels {
		if operationModels[i].Path == path {
			return true
		}
	}
	return false
}
