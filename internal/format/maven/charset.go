package maven

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// latin1Reader decodes the ISO-8859-1 some old POMs declare (Debian's
// maven-repo has them); other declared charsets than UTF-8 are refused.
func latin1Reader(charset string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
		b, err := io.ReadAll(io.LimitReader(in, maxPOM+1))
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(b))
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return strings.NewReader(string(out)), nil
	case "us-ascii", "ascii":
		return in, nil
	}
	return nil, fmt.Errorf("unsupported charset %q", charset)
}
