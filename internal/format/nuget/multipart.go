package nuget

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"net/textproto"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
)

// NuGet clients write multipart bodies loosely: NuGet 2.x (Mono) ends the
// file part with "\n--BOUNDARY--" where RFC 2046 wants "\r\n--BOUNDARY",
// which mime/multipart refuses. This reader takes either line ending and
// streams the file part without holding it.

// maxPartHeader caps a part's header block.
const maxPartHeader = 16 << 10

// filePart returns the content of the first file part (or the part named
// "package") of a multipart body with the given boundary.
func filePart(body io.Reader, boundary string) (io.Reader, error) {
	br := bufio.NewReaderSize(body, 64<<10)
	dash := "--" + boundary
	// Preamble: skip to the first delimiter line.
	for n := 0; ; {
		line, err := br.ReadString('\n')
		n += len(line)
		if strings.TrimRight(line, "\r\n") == dash {
			break
		}
		if err != nil || n > maxPartHeader {
			return nil, apierr.Invalid("The push body is multipart without its first boundary.")
		}
	}
	for i := 0; i < 8; i++ {
		tp := textproto.NewReader(bufio.NewReader(io.LimitReader(&lineReader{br: br}, maxPartHeader)))
		hdr, err := tp.ReadMIMEHeader()
		if err != nil {
			return nil, apierr.Invalid("The push body has a malformed part header: %s.", short(err.Error()))
		}
		_, params, _ := mime.ParseMediaType(hdr.Get("Content-Disposition"))
		pr := &partReader{br: br, delim: []byte("\n" + dash)}
		if params["filename"] != "" || params["name"] == "package" {
			return pr, nil
		}
		if _, err := io.Copy(io.Discard, io.LimitReader(pr, 1<<20)); err != nil {
			return nil, err
		}
		if !pr.done {
			return nil, apierr.Invalid("The push body has a form field larger than 1 MiB before its package.")
		}
		br = pr.br
		rest, _ := br.ReadString('\n')
		if strings.HasPrefix(rest, "--") {
			break
		}
	}
	return nil, apierr.Invalid("The push body has no package part: send the .nupkg as a multipart file (nuget push does).")
}

// lineReader hands out the header block of a part one line at a time, up
// to and including its blank line, so that nothing after it is consumed.
type lineReader struct {
	br   *bufio.Reader
	done bool
	buf  []byte
}

func (l *lineReader) Read(p []byte) (int, error) {
	for len(l.buf) == 0 {
		if l.done {
			return 0, io.EOF
		}
		line, err := l.br.ReadSlice('\n')
		if err != nil {
			return 0, io.ErrUnexpectedEOF
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			l.done = true
			line = []byte("\r\n")
		}
		l.buf = append(l.buf[:0], line...)
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}

// partReader streams a part's content up to the delimiter "\n--BOUNDARY"
// (a '\r' before it dropped too), then reports io.EOF; a body that ends
// before the delimiter is an error.
type partReader struct {
	br      *bufio.Reader
	delim   []byte
	pending []byte
	out     []byte
	done    bool
}

func (p *partReader) Read(b []byte) (int, error) {
	for len(p.out) == 0 {
		if p.done {
			return 0, io.EOF
		}
		var chunk [32 << 10]byte
		n, err := p.br.Read(chunk[:])
		p.pending = append(p.pending, chunk[:n]...)
		if i := bytes.Index(p.pending, p.delim); i >= 0 {
			end := i
			if end > 0 && p.pending[end-1] == '\r' {
				end--
			}
			p.out = append(p.out[:0], p.pending[:end]...)
			// What follows the delimiter stays unread here but is in
			// pending; give the reader's remaining bytes back in order.
			rest := p.pending[i+len(p.delim):]
			p.br = bufio.NewReader(io.MultiReader(bytes.NewReader(append([]byte(nil), rest...)), p.br))
			p.pending = nil
			p.done = true
			break
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, apierr.Invalid("The push body ends inside the package part: it is truncated, or its closing boundary is missing.")
			}
			return 0, err
		}
		// Keep what could be the start of a delimiter (and a '\r').
		if keep := len(p.delim); len(p.pending) > keep {
			cut := len(p.pending) - keep
			p.out = append(p.out[:0], p.pending[:cut]...)
			p.pending = append(p.pending[:0], p.pending[cut:]...)
		}
	}
	n := copy(b, p.out)
	p.out = p.out[n:]
	return n, nil
}
