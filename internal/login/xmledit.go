package login

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// xmlNode is an element of a parsed file with the byte offsets of its
// parts, so that an edit can splice new text into the original bytes and
// leave every other byte (comments, formatting, other elements) as it was.
type xmlNode struct {
	name       string
	attrs      []xml.Attr
	start, end int // the whole element
	innerStart int // after the start tag
	innerEnd   int // before the end tag
	selfClose  bool
	text       string // character data directly inside
	children   []*xmlNode
}

func (n *xmlNode) child(name string) *xmlNode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (n *xmlNode) attr(name string) string {
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// parseXML returns the document's root element.
func parseXML(data []byte) (*xmlNode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var stack []*xmlNode
	var root *xmlNode
	for {
		off := int(d.InputOffset())
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: t.Name.Local, attrs: t.Attr, start: off, innerStart: int(d.InputOffset())}
			n.selfClose = bytes.HasSuffix(data[off:n.innerStart], []byte("/>"))
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, fmt.Errorf("unexpected </%s>", t.Name.Local)
			}
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n.innerEnd, n.end = off, int(d.InputOffset())
			if n.selfClose {
				n.innerEnd = n.innerStart
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil || len(stack) > 0 {
		return nil, fmt.Errorf("no complete root element")
	}
	return root, nil
}

// lineIndent is the whitespace before offset on its line.
func lineIndent(data []byte, off int) string {
	i := off
	for i > 0 && (data[i-1] == ' ' || data[i-1] == '\t') {
		i--
	}
	if i > 0 && data[i-1] != '\n' {
		return ""
	}
	return string(data[i:off])
}

// xel is an element to write: a name, attributes and text or children.
type xel struct {
	name     string
	attrs    [][2]string
	text     string
	children []xel
}

func (e xel) render(indent, step string) string {
	var b strings.Builder
	b.WriteString("<" + e.name)
	for _, a := range e.attrs {
		b.WriteString(" " + a[0] + `="`)
		xml.EscapeText(&b, []byte(a[1]))
		b.WriteString(`"`)
	}
	switch {
	case len(e.children) > 0:
		b.WriteString(">")
		for _, c := range e.children {
			b.WriteString("\n" + indent + step + c.render(indent+step, step))
		}
		b.WriteString("\n" + indent + "</" + e.name + ">")
	case e.text != "":
		b.WriteString(">")
		xml.EscapeText(&b, []byte(e.text))
		b.WriteString("</" + e.name + ">")
	default:
		b.WriteString(" />")
	}
	return b.String()
}

// xmlEditor splices elements into a document.
type xmlEditor struct {
	data []byte
	step string // one level of indentation
}

func newXMLEditor(data []byte) *xmlEditor {
	e := &xmlEditor{data: data, step: "  "}
	// Take the file's indentation step from its second level.
	if root, err := parseXML(data); err == nil && len(root.children) > 0 {
		ri, ci := lineIndent(data, root.start), lineIndent(data, root.children[0].start)
		if len(ci) > len(ri) && strings.HasPrefix(ci, ri) {
			e.step = ci[len(ri):]
		}
	}
	return e
}

func (e *xmlEditor) root() (*xmlNode, error) { return parseXML(e.data) }

// replace puts el in n's place.
func (e *xmlEditor) replace(n *xmlNode, el xel) {
	text := el.render(lineIndent(e.data, n.start), e.step)
	e.data = append(e.data[:n.start:n.start], append([]byte(text), e.data[n.end:]...)...)
}

// appendChild adds el as the last child of n.
func (e *xmlEditor) appendChild(n *xmlNode, el xel) {
	pi := lineIndent(e.data, n.start)
	ci := pi + e.step
	if len(n.children) > 0 {
		ci = lineIndent(e.data, n.children[len(n.children)-1].start)
	}
	text := el.render(ci, e.step)
	if n.selfClose {
		tag := strings.TrimSuffix(strings.TrimRight(strings.TrimSuffix(string(e.data[n.start:n.innerStart]), "/>"), " \t\n"), "/")
		repl := tag + ">\n" + ci + text + "\n" + pi + "</" + n.name + ">"
		e.data = append(e.data[:n.start:n.start], append([]byte(repl), e.data[n.end:]...)...)
		return
	}
	// Insert before the whitespace that precedes the end tag.
	at := n.innerEnd
	for at > n.innerStart && strings.ContainsRune(" \t\r\n", rune(e.data[at-1])) {
		at--
	}
	ins := "\n" + ci + text
	if at == n.innerEnd || !bytes.Contains(e.data[at:n.innerEnd], []byte("\n")) {
		ins += "\n" + pi
		e.data = append(e.data[:at:at], append([]byte(ins), e.data[n.innerEnd:]...)...)
		return
	}
	e.data = append(e.data[:at:at], append([]byte(ins), e.data[at:]...)...)
}

// ensure returns n's child called name, adding an empty one if missing.
func (e *xmlEditor) ensure(path ...string) (*xmlNode, error) {
	n, err := e.root()
	if err != nil {
		return nil, err
	}
	for i, name := range path {
		c := n.child(name)
		if c == nil {
			e.appendChild(n, xel{name: name})
			return e.ensure(path[:i+1]...)
		}
		n = c
	}
	return n, nil
}

// upsert makes el a child of the element at path: it replaces the child
// that match selects, or is appended.
func (e *xmlEditor) upsert(path []string, match func(*xmlNode) bool, el xel) error {
	parent, err := e.ensure(path...)
	if err != nil {
		return err
	}
	for _, c := range parent.children {
		if match(c) {
			e.replace(c, el)
			return nil
		}
	}
	e.appendChild(parent, el)
	return nil
}

// childText matches an element whose child name has the text value.
func childText(name, value string) func(*xmlNode) bool {
	return func(n *xmlNode) bool {
		c := n.child(name)
		return c != nil && strings.TrimSpace(c.text) == value
	}
}

// attrIs matches an element whose attribute has the value.
func attrIs(elem, name, value string) func(*xmlNode) bool {
	return func(n *xmlNode) bool { return n.name == elem && n.attr(name) == value }
}
