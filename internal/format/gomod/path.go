package gomod

import (
	"strings"

	"golang.org/x/mod/module"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
)

// What a GOPROXY path asks for.
const (
	kindList   = "list"
	kindLatest = "latest"
	kindInfo   = "info"
	kindMod    = "mod"
	kindZip    = "zip"
)

// Target is a parsed GOPROXY path: $module/@v/list, $module/@latest or
// $module/@v/$version.{info,mod,zip}, with the module path and version
// case-decoded ("!x" → "X").
type Target struct {
	Module    string // the module path
	Namespace string // its coordinates (formatrules.Coordinates)
	Name      string
	Kind      string // list, latest, info, mod or zip
	Version   string // for info, mod and zip: valid and canonical
}

// Asset is the asset name of the target's file: VERSION.info, VERSION.mod
// or VERSION.zip.
func (t Target) Asset() string { return t.Version + "." + t.Kind }

// ParsePath reads a path below the repository endpoint. Anything that is
// not a GOPROXY path of a valid module path (module.CheckPath) and, where
// one is named, a valid canonical version is a NotFound error (the go
// command then tries the next proxy of GOPROXY).
func ParsePath(p string) (Target, error) {
	var t Target
	var escMod string
	if m, ok := strings.CutSuffix(p, "/@latest"); ok {
		escMod, t.Kind = m, kindLatest
	} else {
		i := strings.LastIndex(p, "/@v/")
		if i < 0 {
			return t, apierr.New(apierr.NotFound, "not found: '%s' is not a module proxy path ($module/@v/list, $module/@v/$version.info|.mod|.zip, $module/@latest)", short(p))
		}
		escMod = p[:i]
		file := p[i+len("/@v/"):]
		if file == "list" {
			t.Kind = kindList
		} else {
			dot := strings.LastIndexByte(file, '.')
			if dot < 0 {
				return t, apierr.New(apierr.NotFound, "not found: '%s' is not $version.info, .mod or .zip", short(file))
			}
			switch ext := file[dot+1:]; ext {
			case kindInfo, kindMod, kindZip:
				t.Kind = ext
			default:
				return t, apierr.New(apierr.NotFound, "not found: '%s' is not $version.info, .mod or .zip", short(file))
			}
			v, err := module.UnescapeVersion(file[:dot])
			if err != nil || !formatrules.Go.ValidVersion(v) {
				return t, apierr.New(apierr.NotFound, "not found: '%s' is not a canonical module version (such as v1.2.3)", short(file[:dot]))
			}
			t.Version = v
		}
	}
	mod, err := module.UnescapePath(escMod)
	if err == nil {
		err = module.CheckPath(mod)
	}
	if err != nil {
		return t, apierr.New(apierr.NotFound, "not found: '%s' is not a valid module path: %v", short(escMod), err)
	}
	ns, name, err := formatrules.Coordinates(mod)
	if err != nil || len(ns) > 255 || len(name) > 255 {
		return t, apierr.New(apierr.NotFound, "not found: module path '%s' has no package coordinates (at most 255 characters after its first element)", short(mod))
	}
	t.Module, t.Namespace, t.Name = mod, ns, name
	return t, nil
}

// short cuts a client-sent string for an error message.
func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
