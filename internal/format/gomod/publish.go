package gomod

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// publish serves PUT $module/@v/$version.zip: the caller must have
// codeartifact:PublishPackageVersion on the module's package (checked
// before a byte of the body is read); the body is spooled, checked as
// golang.org/x/mod/zip checks a module zip, and stored with the go.mod it
// holds as VERSION.zip and VERSION.mod (VERSION.info is derived). A
// version is immutable: the same bytes again are 200, other bytes 409.
func (h *Handler) publish(req *format.Request, t Target) {
	fail := func(err error) { format.Refuse(req.W, req.R, nil, func() { h.Error(req.W, err) }) }
	arn := h.svc.PackageARN(req.Domain.Owner, req.Domain.Name, req.Repository.Name, formatName, t.Namespace, t.Name)
	if err := req.Authorize("codeartifact:PublishPackageVersion", arn); err != nil {
		fail(err)
		return
	}
	if err := module.Check(t.Module, t.Version); err != nil {
		fail(apierr.Invalid("%v", err))
		return
	}
	if req.R.ContentLength > h.maxZip {
		fail(apierr.New(apierr.TooLarge, "The module zip is %d bytes; at most %d are accepted.", req.R.ContentLength, h.maxZip))
		return
	}
	f, err := os.CreateTemp(h.spool, "go-publish-*.zip")
	if err != nil {
		fail(err)
		return
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, sum), io.LimitReader(req.R.Body, h.maxZip+1))
	if err != nil {
		fail(apierr.Invalid("The upload was cut short: %v", err))
		return
	}
	if n > h.maxZip {
		fail(apierr.New(apierr.TooLarge, "The module zip is larger than the %d bytes accepted.", h.maxZip))
		return
	}
	sha := hex.EncodeToString(sum.Sum(nil))
	gomod, err := CheckModuleZip(f.Name(), t.Module, t.Version)
	if err != nil {
		fail(err)
		return
	}
	ctx := req.R.Context()
	r := req.Repo()
	status := http.StatusCreated
	if a, err := h.svc.LocalAsset(ctx, r, formatName, t.Namespace, t.Name, t.Version, t.Asset()); err == nil {
		if a.SHA256 != sha {
			fail(apierr.Conflicting(apierr.ResPackageVersion, t.Version, "%s@%s is already published in repository '%s' with other content; a module version is immutable.", t.Module, t.Version, req.Repository.Name))
			return
		}
		c := pkgsvc.Coord{DomainOwner: req.Domain.Owner, Domain: req.Domain.Name, Repository: req.Repository.Name, Format: formatName, Namespace: t.Namespace, Package: t.Name}
		if _, v, err := h.svc.DescribePackageVersion(ctx, req.Caller, c, t.Version); err == nil && (v.Status == meta.StatusPublished || v.Status == meta.StatusUnlisted) {
			h.write(req.W, http.StatusOK, t.Module+"@"+t.Version+" is already published with these bytes")
			return
		}
		// The same zip again for a publish that stopped before its go.mod
		// (Unfinished): finish it.
		status = http.StatusOK
	}
	deps := dependencies(gomod)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		fail(err)
		return
	}
	// The zip arrives first and leaves the version Unfinished; the go.mod
	// publishes it, so no client ever sees one without the other.
	in := pkgsvc.FormatPublish{Format: formatName, Namespace: t.Namespace, Package: t.Name, Version: t.Version,
		AssetName: t.Asset(), Body: io.LimitReader(f, n), SHA256: sha, Unfinished: true,
		Meta: pkgsvc.VersionMeta{Dependencies: deps}}
	if _, err := h.svc.PublishFormat(ctx, req.Caller, r, in); err != nil {
		fail(publishErr(err, t, req))
		return
	}
	in.AssetName, in.Body, in.SHA256, in.Unfinished = t.Version+".mod", bytes.NewReader(gomod), "", false
	if _, err := h.svc.PublishFormat(ctx, req.Caller, r, in); err != nil {
		fail(publishErr(err, t, req))
		return
	}
	h.write(req.W, status, "published "+t.Module+"@"+t.Version)
}

func publishErr(err error, t Target, req *format.Request) error {
	if apierr.Is(err, apierr.Conflict) && strings.Contains(apierr.As(err).Message, "different content") {
		return apierr.Conflicting(apierr.ResPackageVersion, t.Version, "%s@%s is already published in repository '%s' with other content; a module version is immutable.", t.Module, t.Version, req.Repository.Name)
	}
	return err
}

// CheckModuleZip checks the module zip at file as golang.org/x/mod/zip
// does (every file below MODULE@VERSION/, valid file paths, no duplicates
// or case-folding collisions, sizes within its limits) and that it holds a
// go.mod naming the module (a +incompatible version holds none: its go.mod
// is the synthesized "module PATH"). It returns the version's go.mod.
// Every failure is a ValidationException.
func CheckModuleZip(file, modPath, version string) ([]byte, error) {
	mv := module.Version{Path: modPath, Version: version}
	if err := module.Check(modPath, version); err != nil {
		return nil, apierr.Invalid("%v", err)
	}
	cf, err := modzip.CheckZip(mv, file)
	if err == nil {
		err = cf.Err()
	}
	if err != nil {
		return nil, apierr.Invalid("The module zip is not valid for %s@%s: %s", modPath, version, oneLine(err))
	}
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, apierr.Invalid("The module zip cannot be read: %v", err)
	}
	defer zr.Close()
	name := modPath + "@" + version + "/go.mod"
	var gomod []byte
	for _, zf := range zr.File {
		if zf.Name != name {
			continue
		}
		if zf.UncompressedSize64 > modzip.MaxGoMod {
			return nil, apierr.Invalid("The module's go.mod is larger than %d bytes.", modzip.MaxGoMod)
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, apierr.Invalid("The module's go.mod cannot be read: %v", err)
		}
		gomod, err = io.ReadAll(io.LimitReader(rc, modzip.MaxGoMod+1))
		rc.Close()
		if err != nil || len(gomod) > modzip.MaxGoMod {
			return nil, apierr.Invalid("The module's go.mod cannot be read: %v", err)
		}
	}
	incompatible := strings.HasSuffix(version, "+incompatible")
	switch {
	case gomod == nil && incompatible:
		return []byte("module " + modfile.AutoQuote(modPath) + "\n"), nil
	case gomod == nil:
		return nil, apierr.Invalid("The module zip has no %s: a module version needs its go.mod.", name)
	case incompatible:
		return nil, apierr.Invalid("%s@%s is +incompatible, which is for modules without a go.mod, but the zip has one; publish it as a /v%s module instead.", modPath, version, strings.TrimPrefix(strings.SplitN(version, ".", 2)[0], "v"))
	}
	mf, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		return nil, apierr.Invalid("The module's go.mod does not parse: %s", oneLine(err))
	}
	if mf.Module == nil || mf.Module.Mod.Path != modPath {
		got := ""
		if mf.Module != nil {
			got = mf.Module.Mod.Path
		}
		return nil, apierr.Invalid("The module's go.mod declares module '%s', not '%s'.", got, modPath)
	}
	return gomod, nil
}

// dependencies are a go.mod's requirements as the API shows them (indirect
// ones as "indirect", the others as "direct").
func dependencies(gomod []byte) []meta.Dependency {
	mf, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		return nil
	}
	var out []meta.Dependency
	for _, r := range mf.Require {
		ns, name, err := formatrules.Coordinates(r.Mod.Path)
		if err != nil {
			continue
		}
		kind := "direct"
		if r.Indirect {
			kind = "indirect"
		}
		out = append(out, meta.Dependency{Namespace: ns, Package: name, DependencyType: kind, VersionRequirement: r.Mod.Version})
	}
	return out
}

// oneLine shortens a multi-line error (a FileErrorList) for an answer.
func oneLine(err error) string {
	var fl modzip.FileErrorList
	if errors.As(err, &fl) && len(fl) > 3 {
		return fmt.Sprintf("%s (and %d more)", strings.ReplaceAll(fl[:3].Error(), "\n", "; "), len(fl)-3)
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
