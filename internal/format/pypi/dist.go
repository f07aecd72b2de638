package pypi

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"io"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
)

// maxMetadataSize bounds the METADATA / PKG-INFO file read from an upload.
// A wheel's METADATA is kept for PEP 658 in the version's format metadata,
// so it must stay small; a larger one is refused.
const maxMetadataSize = 1 << 20

// wheelMetadata returns the METADATA file of a wheel: the only top-level
// {name}-{version}.dist-info/METADATA whose name normalizes to project.
func wheelMetadata(r io.ReaderAt, size int64, filename, project string) ([]byte, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, apierr.Invalid("%s is not a valid wheel: %v.", filename, err)
	}
	var found *zip.File
	for _, f := range zr.File {
		dir, base, ok := strings.Cut(f.Name, "/")
		if !ok || base != "METADATA" || !strings.HasSuffix(dir, ".dist-info") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(dir, ".dist-info"), "-")
		if formatrules.PyPI.Normalize(name) != project {
			continue
		}
		if found != nil {
			return nil, apierr.Invalid("%s is not a valid wheel: it has more than one .dist-info/METADATA.", filename)
		}
		found = f
	}
	if found == nil {
		return nil, apierr.Invalid("%s is not a valid wheel: it has no %s-….dist-info/METADATA file.", filename, project)
	}
	if found.UncompressedSize64 > maxMetadataSize {
		return nil, apierr.Invalid("%s: METADATA is larger than %d bytes.", filename, maxMetadataSize)
	}
	rc, err := found.Open()
	if err != nil {
		return nil, apierr.Invalid("%s is not a valid wheel: %v.", filename, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxMetadataSize+1))
	if err != nil {
		return nil, apierr.Invalid("%s is not a valid wheel: reading METADATA: %v.", filename, err)
	}
	if len(b) > maxMetadataSize {
		return nil, apierr.Invalid("%s: METADATA is larger than %d bytes.", filename, maxMetadataSize)
	}
	return b, nil
}

// sdistMetadata returns the top-level {dir}/PKG-INFO of an sdist (.tar.gz
// or .zip), nil when it has none. r must be positioned at the start.
func sdistMetadata(r io.ReaderAt, size int64, filename string) ([]byte, error) {
	isPKGInfo := func(name string) bool {
		name = strings.TrimPrefix(name, "./")
		dir, base, ok := strings.Cut(name, "/")
		return ok && dir != "" && base == "PKG-INFO"
	}
	readBounded := func(rd io.Reader) ([]byte, error) {
		b, err := io.ReadAll(io.LimitReader(rd, maxMetadataSize+1))
		if err != nil {
			return nil, apierr.Invalid("%s is not a valid archive: reading PKG-INFO: %v.", filename, err)
		}
		if len(b) > maxMetadataSize {
			return nil, apierr.Invalid("%s: PKG-INFO is larger than %d bytes.", filename, maxMetadataSize)
		}
		return b, nil
	}
	if strings.HasSuffix(strings.ToLower(filename), ".zip") {
		zr, err := zip.NewReader(r, size)
		if err != nil {
			return nil, apierr.Invalid("%s is not a valid zip archive: %v.", filename, err)
		}
		for _, f := range zr.File {
			if isPKGInfo(f.Name) {
				rc, err := f.Open()
				if err != nil {
					return nil, apierr.Invalid("%s: %v.", filename, err)
				}
				defer rc.Close()
				return readBounded(rc)
			}
		}
		return nil, nil
	}
	gz, err := gzip.NewReader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, apierr.Invalid("%s is not a gzip-compressed tar archive: %v.", filename, err)
	}
	defer gz.Close()
	// A small archive may inflate enormously: stop looking for PKG-INFO
	// after a bounded amount of output (and then do without it).
	budget := &boundedReader{r: gz, left: max(64*size, 256<<20)}
	tr := tar.NewReader(budget)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) || budget.left <= 0 {
			return nil, nil
		}
		if err != nil {
			return nil, apierr.Invalid("%s is not a valid tar.gz archive: %v.", filename, err)
		}
		if hdr.Typeflag == tar.TypeReg && isPKGInfo(hdr.Name) {
			return readBounded(tr)
		}
	}
}

// boundedReader reads from r until left bytes have been read, then reports
// io.ErrUnexpectedEOF (and left <= 0 says why).
type boundedReader struct {
	r    io.Reader
	left int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}
