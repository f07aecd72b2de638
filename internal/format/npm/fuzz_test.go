package npm

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

// FuzzPublish feeds arbitrary publish bodies through everything a publish
// parses before the service sees it: it must never panic, and a refusal is
// always a client error.
func FuzzPublish(f *testing.F) {
	data := tgz(f, [2]string{"package/package.json", `{"name":"x"}`}, [2]string{"package/README.md", "# x"})
	f.Add(publishDoc("x", "1.0.0", "x-1.0.0.tgz", data, map[string]any{"integrity": sri512(data), "shasum": sha1hex(data)},
		map[string]any{"license": map[string]string{"type": "MIT"}, "dependencies": map[string]any{"a": 1, "@s/b": "^1"}}))
	f.Add(publishDoc("@s/x", "1.0.0-rc.1", "@s/x-1.0.0-rc.1.tgz", data, nil, map[string]any{"licenses": []any{"MIT", 3}, "repository": 7}))
	f.Add([]byte(`{"versions":{"1.0.0":null},"_attachments":{"x-1.0.0.tgz":null}}`))
	f.Add([]byte(`{"name":"x","versions":{"1.0.0":{"deprecated":"no"}}}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, p := range []pkgName{{Name: "x"}, {Scope: "s", Name: "x"}} {
			b, err := decodePublish(bytes.NewReader(body), dir, 0, nil)
			if err != nil {
				if apierr.KindOf(err) != apierr.Validation {
					t.Fatalf("decode error of kind %v: %v", apierr.KindOf(err), err)
				}
				continue
			}
			_ = deprecations(b.Versions, map[string]manifest{"1.0.0": {}})
			u, err := validatePublish(p, b)
			if err != nil {
				b.Close()
				if apierr.KindOf(err) != apierr.Validation {
					t.Fatalf("validation error of kind %v: %v", apierr.KindOf(err), err)
				}
				continue
			}
			if _, err := publishInput(p, u); err != nil && apierr.KindOf(err) != apierr.Validation {
				t.Fatalf("publishInput error of kind %v: %v", apierr.KindOf(err), err)
			}
			b.Close()
		}
	})
}

// FuzzTarballReadme: any attachment bytes, gzipped or not.
func FuzzTarballReadme(f *testing.F) {
	f.Add(tgz(f, [2]string{"package/README.md", "# x"}))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = readmeFromTarball(bytes.NewReader(b))
		_ = parseSRI(base64.StdEncoding.EncodeToString(b) + " sha512-" + string(b))
	})
}

// FuzzPublishReader holds the streaming reader to encoding/json: whatever
// it accepts is valid JSON, and the members it keeps, the attachment's
// length and its data (spooled, decoded) are what encoding/json and
// base64 make of the same document. A refusal is a client error, and no
// spool file outlives the call.
func FuzzPublishReader(f *testing.F) {
	data := tgz(f, [2]string{"package/README.md", "# x"})
	f.Add(publishDoc("x", "1.0.0", "x-1.0.0.tgz", data, map[string]any{"integrity": sri512(data)}, nil))
	f.Add([]byte(`{"_attachments":{"a":{"data":"+\/+\/H4sA\u002fg==","length":7}},"name":"x","versions":{"1.0.0":{}},"x":[1,-2.5e3,{"y":null}]}`))
	f.Add([]byte(`{"_attachments":{"a":{"data":"QQ==\nQQ=="},"b":null},"dist-tags":{"latest":"1.0.0"}}`))
	f.Add([]byte(`{"versions":null,"_attachments":null,"name":"\ud83d\ude00"} `))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body []byte) {
		// The same document under a tarball limit: refused (TooLarge)
		// exactly when its data decodes past the limit, else read the
		// same; the spool goes with a refusal.
		lb, lerr := decodePublish(bytes.NewReader(body), dir, fuzzTarballLimit, nil)
		limitedSize := int64(-1)
		if lb != nil {
			if lb.Tarball != nil {
				limitedSize = lb.Tarball.size
			}
			lb.Close()
		}
		checkSpoolGone(t, dir)
		if k := apierr.KindOf(lerr); lerr != nil && k != apierr.Validation && k != apierr.TooLarge {
			t.Fatalf("limited decode error of kind %v: %v", k, lerr)
		}
		b, err := decodePublish(bytes.NewReader(body), dir, 0, nil)
		if err != nil {
			if apierr.KindOf(err) != apierr.Validation {
				t.Fatalf("decode error of kind %v: %v", apierr.KindOf(err), err)
			}
			if lerr == nil {
				t.Fatalf("accepted under a limit, refused without: %v", err)
			}
			checkSpoolGone(t, dir)
			return
		}
		defer func() {
			b.Close()
			checkSpoolGone(t, dir)
		}()
		switch over := b.Tarball != nil && b.Tarball.size > fuzzTarballLimit; {
		case over && !apierr.Is(lerr, apierr.TooLarge):
			t.Fatalf("%d bytes of data under a limit of %d: %v", b.Tarball.size, fuzzTarballLimit, lerr)
		case !over && lerr != nil:
			t.Fatalf("refused under a limit it is within: %v", lerr)
		case !over && b.Tarball != nil && limitedSize != b.Tarball.size:
			t.Fatalf("spooled %d bytes under a limit, %d without", limitedSize, b.Tarball.size)
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON")
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(body, &top); err != nil {
			t.Fatalf("accepted what encoding/json refuses: %v", err)
		}
		var want publishBody
		for key, v := range map[string]any{"name": &want.Name, "dist-tags": &want.DistTags, "versions": &want.Versions} {
			if raw, ok := top[key]; ok {
				if err := json.Unmarshal(raw, v); err != nil {
					t.Fatalf("%s: accepted what encoding/json refuses: %v", key, err)
				}
			}
		}
		if b.Name != want.Name || !reflect.DeepEqual(b.DistTags, want.DistTags) || !reflect.DeepEqual(b.Versions, want.Versions) {
			t.Fatalf("decoded %q %v %v, encoding/json %q %v %v", b.Name, b.DistTags, b.Versions, want.Name, want.DistTags, want.Versions)
		}
		// Member names match exactly (encoding/json would match struct
		// fields ignoring case).
		// Attachments after the first are counted, not read (the publish
		// is refused).
		var atts map[string]json.RawMessage
		if raw, ok := top["_attachments"]; ok {
			if err := json.Unmarshal(raw, &atts); err != nil {
				t.Fatalf("_attachments: accepted what encoding/json refuses: %v", err)
			}
		}
		if b.Attachments != len(atts) {
			t.Fatalf("%d attachments, encoding/json %d", b.Attachments, len(atts))
		}
		if b.Attachments != 1 {
			return
		}
		var a map[string]json.RawMessage
		if err := json.Unmarshal(atts[b.AttachmentName], &a); err != nil {
			t.Fatalf("attachment: accepted what encoding/json refuses: %v", err)
		}
		var length *int64
		var data *string
		if err := json.Unmarshal(orNull(a["length"]), &length); err != nil {
			t.Fatalf("length: accepted what encoding/json refuses: %v", err)
		}
		if err := json.Unmarshal(orNull(a["data"]), &data); err != nil {
			t.Fatalf("data: accepted what encoding/json refuses: %v", err)
		}
		if !reflect.DeepEqual(length, b.Length) {
			t.Fatalf("length %v, encoding/json %v", b.Length, length)
		}
		if data == nil {
			if b.Tarball != nil {
				t.Fatal("spooled a null data")
			}
			return
		}
		dec, err := base64.StdEncoding.DecodeString(*data)
		if err != nil {
			t.Fatalf("accepted data base64 refuses: %v", err)
		}
		got := spooled(t, b.Tarball)
		if !bytes.Equal(got, dec) {
			t.Fatalf("spooled %x, want %x", got, dec)
		}
		s512, s1, s256 := sha512.Sum512(dec), sha1.Sum(dec), sha256.Sum256(dec)
		if !bytes.Equal(b.Tarball.sha512, s512[:]) || !bytes.Equal(b.Tarball.sha1, s1[:]) || !bytes.Equal(b.Tarball.sha256, s256[:]) {
			t.Fatal("digests differ")
		}
	})
}

// fuzzTarballLimit is the tarball limit FuzzPublishReader also reads
// under.
const fuzzTarballLimit = 8

// FuzzJSONValue: the streaming reader's grammar is encoding/json's.
func FuzzJSONValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e-3,true,false,null,"\u00e9\n"]}`, ` 0 `, `-`, `[1,]`, `{"a" 1}`, `"\ud800"`, "\"\xff\"", `[[[]]]`, `01`, `1.e5`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d := newJSONReader(bytes.NewReader(body))
		err := d.value()
		if err == nil {
			err = d.end()
		}
		if valid := json.Valid(body); valid != (err == nil) {
			t.Fatalf("json.Valid %v, streaming reader: %v", valid, err)
		}
	})
}

func orNull(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return json.RawMessage("null")
	}
	return raw
}
