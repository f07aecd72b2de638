package npm

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/arca-repo/arca/internal/apierr"
)

// This file is a small streaming JSON reader: enough to walk the top level
// of a publish document, keep some members (each recorded up to a bound,
// then decoded by encoding/json), skip others in constant memory, and
// stream the tarball's base64 string out of the document without holding
// it. It validates the grammar as it goes (RFC 8259, as encoding/json reads
// it), so that a skipped member is checked as strictly as a decoded one.

// maxDepth bounds the nesting of arrays and objects, as in encoding/json.
const maxDepth = 10000

// jsonSyntaxError is malformed JSON at an offset of the document.
type jsonSyntaxError struct {
	msg string
	off int64
}

func (e *jsonSyntaxError) Error() string { return e.msg + " at offset " + strconv.FormatInt(e.off, 10) }

// tooLargeError is a recorded value longer than its bound.
type tooLargeError struct{ max int }

func (e *tooLargeError) Error() string { return "value larger than " + strconv.Itoa(e.max) + " bytes" }

// jsonReader reads one JSON document from a stream.
type jsonReader struct {
	br  *bufio.Reader
	off int64 // bytes consumed
	// err, once set, is returned by every read: the underlying reader's
	// error, the end of the input (eof set) or a recorded value's overflow.
	err error
	eof bool
	// While recording, what is consumed is appended to rec, at most recMax
	// bytes.
	recording bool
	rec       []byte
	recMax    int
}

func newJSONReader(r io.Reader) *jsonReader {
	return &jsonReader{br: bufio.NewReaderSize(r, 64<<10)}
}

func (d *jsonReader) syntax(format string, args ...any) error {
	return &jsonSyntaxError{msg: fmt.Sprintf(format, args...), off: d.off}
}

// quoteChar formats c for a message, as encoding/json does.
func quoteChar(c byte) string {
	switch {
	case c == '\'':
		return `'\''`
	case c == '"':
		return `'"'`
	case c < 0x20 || c >= 0x7f:
		return strconv.Quote(string(rune(c)))
	}
	return "'" + string(rune(c)) + "'"
}

// fill returns the buffered input, reading when none is buffered; the end
// of the input is a syntax error (a document never ends inside a value).
func (d *jsonReader) fill() ([]byte, error) {
	if d.err != nil {
		return nil, d.err
	}
	if d.br.Buffered() == 0 {
		if _, err := d.br.Peek(1); err != nil {
			if err == io.EOF {
				d.eof = true
				err = d.syntax("unexpected end of JSON input")
			}
			d.err = err
			return nil, err
		}
	}
	b, _ := d.br.Peek(d.br.Buffered())
	return b, nil
}

// consume drops b, a prefix of the buffered input, recording it if need
// be. An overflow of the recording is sticky, like read errors, so callers
// that consume what they have peeked at may ignore the error: the next read
// returns it.
func (d *jsonReader) consume(b []byte) error {
	if d.recording {
		if len(d.rec)+len(b) > d.recMax {
			d.err = &tooLargeError{max: d.recMax}
			return d.err
		}
		d.rec = append(d.rec, b...)
	}
	d.br.Discard(len(b))
	d.off += int64(len(b))
	return nil
}

// readByte consumes one byte.
func (d *jsonReader) readByte() (byte, error) {
	b, err := d.fill()
	if err != nil {
		return 0, err
	}
	c := b[0]
	return c, d.consume(b[:1])
}

// peek returns the next byte without consuming it.
func (d *jsonReader) peek() (byte, error) {
	b, err := d.fill()
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// peekNonSpace consumes whitespace and returns the next byte.
func (d *jsonReader) peekNonSpace() (byte, error) {
	for {
		b, err := d.fill()
		if err != nil {
			return 0, err
		}
		i := 0
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if err := d.consume(b[:i]); err != nil {
			return 0, err
		}
		if i < len(b) {
			return b[i], nil
		}
	}
}

// expect consumes whitespace and then c.
func (d *jsonReader) expect(c byte, context string) error {
	got, err := d.peekNonSpace()
	if err != nil {
		return err
	}
	if got != c {
		return d.syntax("invalid character %s %s", quoteChar(got), context)
	}
	_, err = d.readByte()
	return err
}

// end checks that only whitespace follows the document.
func (d *jsonReader) end() error {
	c, err := d.peekNonSpace()
	switch {
	case err == nil:
		return d.syntax("invalid character %s after top-level value", quoteChar(c))
	case d.eof:
		return nil
	}
	return err
}

// literal consumes the keyword word (true, false, null).
func (d *jsonReader) literal(word string) error {
	for i := 0; i < len(word); i++ {
		c, err := d.readByte()
		if err != nil {
			return err
		}
		if c != word[i] {
			return d.syntax("invalid character %s in literal %s (expecting %s)", quoteChar(c), word, quoteChar(word[i]))
		}
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number consumes a number.
func (d *jsonReader) number() error {
	c, err := d.readByte()
	if err != nil {
		return err
	}
	if c == '-' {
		if c, err = d.readByte(); err != nil {
			return err
		}
	}
	if !isDigit(c) {
		return d.syntax("invalid character %s in numeric literal", quoteChar(c))
	}
	if c != '0' {
		if err := d.digits(false); err != nil {
			return err
		}
	}
	c, err = d.peek()
	if err != nil {
		return nil // the caller finds the end of the input
	}
	if c == '.' {
		d.readByte()
		if err := d.digits(true); err != nil {
			return err
		}
		if c, err = d.peek(); err != nil {
			return nil
		}
	}
	if c == 'e' || c == 'E' {
		d.readByte()
		if c, err = d.peek(); err == nil && (c == '+' || c == '-') {
			d.readByte()
		}
		return d.digits(true)
	}
	return nil
}

// digits consumes a run of digits; one at least if required.
func (d *jsonReader) digits(required bool) error {
	for n := 0; ; n++ {
		c, err := d.peek()
		if err != nil {
			if required && n == 0 {
				return err
			}
			return nil
		}
		if !isDigit(c) {
			if required && n == 0 {
				return d.syntax("invalid character %s in numeric literal", quoteChar(c))
			}
			return nil
		}
		if _, err := d.readByte(); err != nil {
			return err
		}
	}
}

// str consumes the rest of a string whose opening quote has been read.
func (d *jsonReader) str() error {
	for {
		b, err := d.fill()
		if err != nil {
			return err
		}
		i := 0
		for i < len(b) && b[i] != '"' && b[i] != '\\' && b[i] >= 0x20 {
			i++
		}
		if i == len(b) {
			if err := d.consume(b); err != nil {
				return err
			}
			continue
		}
		c := b[i]
		if err := d.consume(b[:i]); err != nil {
			return err
		}
		switch {
		case c == '"':
			_, err := d.readByte()
			return err
		case c == '\\':
			if _, err := d.escape(); err != nil {
				return err
			}
		default:
			return d.syntax("invalid character %s in string literal", quoteChar(c))
		}
	}
}

// escape consumes an escape sequence (its backslash included) and returns
// the character, or for \u the UTF-16 code unit, it stands for.
func (d *jsonReader) escape() (rune, error) {
	if _, err := d.readByte(); err != nil {
		return 0, err
	}
	c, err := d.readByte()
	if err != nil {
		return 0, err
	}
	switch c {
	case '"', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		var r rune
		for i := 0; i < 4; i++ {
			h, err := d.readByte()
			if err != nil {
				return 0, err
			}
			switch {
			case isDigit(h):
				h -= '0'
			case 'a' <= h && h <= 'f':
				h -= 'a' - 10
			case 'A' <= h && h <= 'F':
				h -= 'A' - 10
			default:
				return 0, d.syntax("invalid character %s in \\u hexadecimal character escape", quoteChar(h))
			}
			r = r<<4 | rune(h)
		}
		return r, nil
	}
	return 0, d.syntax("invalid character %s in string escape code", quoteChar(c))
}

// key consumes an object member's name and its colon, returning the name;
// names longer than maxKey bytes are refused.
func (d *jsonReader) key() (string, error) {
	c, err := d.peekNonSpace()
	if err != nil {
		return "", err
	}
	if c != '"' {
		return "", d.syntax("invalid character %s looking for beginning of object key string", quoteChar(c))
	}
	raw, err := d.record(maxKey, func() error {
		d.readByte()
		return d.str()
	})
	var tl *tooLargeError
	if errors.As(err, &tl) {
		return "", apierr.Invalid("The publish document has a member name longer than %d bytes.", maxKey)
	}
	if err != nil {
		return "", err
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", d.syntax("%v", err)
	}
	return s, d.expect(':', "after object key")
}

// maxKey bounds an object member's name.
const maxKey = 64 << 10

// record runs scan, recording what it consumes (up to max bytes).
func (d *jsonReader) record(max int, scan func() error) ([]byte, error) {
	d.recording, d.rec, d.recMax = true, nil, max
	err := scan()
	raw := d.rec
	d.recording, d.rec = false, nil
	return raw, err
}

// capture consumes one value and returns its text, refusing values of more
// than max bytes.
func (d *jsonReader) capture(max int) ([]byte, error) {
	if _, err := d.peekNonSpace(); err != nil {
		return nil, err
	}
	return d.record(max, d.value)
}

// value consumes one value, whitespace before it included, checking its
// grammar. It keeps only a stack of the open arrays and objects, so any
// value is skipped in constant memory.
func (d *jsonReader) value() error {
	var stack []byte // '{' or '[' per open container
	for {
		// A value starts here.
		c, err := d.peekNonSpace()
		if err != nil {
			return err
		}
		switch {
		case c == '{' || c == '[':
			if len(stack) == maxDepth {
				return d.syntax("exceeded max depth")
			}
			d.readByte()
			next, err := d.peekNonSpace()
			if err != nil {
				return err
			}
			if next == closer(c) {
				d.readByte()
				break // an empty container: a whole value
			}
			stack = append(stack, c)
			if c == '{' {
				if err := d.skipKey(); err != nil {
					return err
				}
			}
			continue
		case c == '"':
			d.readByte()
			err = d.str()
		case c == 't':
			err = d.literal("true")
		case c == 'f':
			err = d.literal("false")
		case c == 'n':
			err = d.literal("null")
		case c == '-' || isDigit(c):
			err = d.number()
		default:
			return d.syntax("invalid character %s looking for beginning of value", quoteChar(c))
		}
		if err != nil {
			return err
		}
		// A value ended: close containers, or go on to the next element.
		for {
			if len(stack) == 0 {
				return nil
			}
			top := stack[len(stack)-1]
			c, err := d.peekNonSpace()
			if err != nil {
				return err
			}
			if c == closer(top) {
				d.readByte()
				stack = stack[:len(stack)-1]
				continue
			}
			if c != ',' {
				if top == '{' {
					return d.syntax("invalid character %s after object key:value pair", quoteChar(c))
				}
				return d.syntax("invalid character %s after array element", quoteChar(c))
			}
			d.readByte()
			if top == '{' {
				if err := d.skipKey(); err != nil {
					return err
				}
			}
			break
		}
	}
}

// skipKey consumes an object member's name and colon, unrecorded by key's
// bound (the caller's recording, if any, goes on).
func (d *jsonReader) skipKey() error {
	if err := d.expect('"', "looking for beginning of object key string"); err != nil {
		return err
	}
	if err := d.str(); err != nil {
		return err
	}
	return d.expect(':', "after object key")
}

func closer(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ']'
}

// object walks an object whose members are handled by member, called with
// the reader positioned at each member's value; it must consume the value.
// A null is accepted as no members when nullOK.
func (d *jsonReader) object(what string, nullOK bool, member func(key string) error) error {
	c, err := d.peekNonSpace()
	if err != nil {
		return err
	}
	if c == 'n' && nullOK {
		return d.literal("null")
	}
	if c != '{' {
		return &notObjectError{what: what}
	}
	d.readByte()
	if c, err = d.peekNonSpace(); err != nil {
		return err
	}
	if c == '}' {
		d.readByte()
		return nil
	}
	for {
		k, err := d.key()
		if err != nil {
			return err
		}
		if err := member(k); err != nil {
			return err
		}
		c, err := d.peekNonSpace()
		if err != nil {
			return err
		}
		d.readByte()
		switch c {
		case ',':
		case '}':
			return nil
		default:
			return d.syntax("invalid character %s after object key:value pair", quoteChar(c))
		}
	}
}

// notObjectError is a value that should be an object.
type notObjectError struct{ what string }

func (e *notObjectError) Error() string { return e.what + " is not a JSON object" }

// base64Reader reads the contents of a string whose opening quote has been
// read, for a base64 decoder: the bytes as written, with the escapes that
// may stand for base64 ("\/", a \u escape of a base64 character) unescaped
// and line breaks ("\n", "\r"), which base64 decoders skip, dropped. Other
// escapes cannot be base64: a base64.CorruptInputError, as is anything
// after padding but more padding (base64's decoder would accept
// "QQ==QQ==" when a read ends between the two). It returns io.EOF at the
// closing quote.
type base64Reader struct {
	d      *jsonReader
	done   bool
	padded bool // a '=' went by
}

func (r *base64Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && !r.done {
		b, err := r.d.fill()
		if err != nil {
			if n > 0 {
				return n, nil // the error is sticky: returned next time
			}
			return 0, err
		}
		lim := min(len(b), len(p)-n)
		i := 0
		for ; i < lim; i++ {
			c := b[i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			if c == '=' {
				r.padded = true
			} else if r.padded {
				break
			}
		}
		copy(p[n:], b[:i])
		n += i
		if i == lim {
			r.d.consume(b[:i])
			continue
		}
		c := b[i]
		r.d.consume(b[:i])
		switch {
		case c == '"':
			r.d.readByte()
			r.done = true
		case c == '\\':
			e, err := r.d.escape()
			if err != nil {
				return n, err
			}
			switch {
			case e == '\n' || e == '\r':
			case e == '=' || isBase64(e) && !r.padded:
				r.padded = r.padded || e == '='
				p[n] = byte(e)
				n++
			default:
				return n, base64.CorruptInputError(r.d.off)
			}
		case c < 0x20:
			return n, r.d.syntax("invalid character %s in string literal", quoteChar(c))
		default: // data after padding
			return n, base64.CorruptInputError(r.d.off)
		}
	}
	if n == 0 && r.done {
		return 0, io.EOF
	}
	return n, nil
}

// isBase64 reports whether r is of the standard base64 alphabet.
func isBase64(r rune) bool {
	return 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '+' || r == '/'
}
