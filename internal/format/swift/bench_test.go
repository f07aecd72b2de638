package swift

import (
	"testing"

	"github.com/arca-repo/arca/internal/format/swift/swifttest"
)

// BenchmarkRelease measures the handler's part of a release metadata GET
// and of an archive GET (the data plane's token check and authorization
// are not in it).
func BenchmarkRelease(b *testing.B) {
	e := newEnv(b)
	body, ct := swifttest.PublishBody(pkgZip("p"), metaLinked, nil, nil)
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		e.want(e.publish("mona/bench/"+v, body, ct, nil), 201, "publish")
	}
	b.Run("metadata", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if w := e.get("mona/bench/1.1.0", v1json); w.Code != 200 {
				b.Fatal(w.Code)
			}
		}
	})
	b.Run("archive", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if w := e.get("mona/bench/1.1.0.zip", ""); w.Code != 200 {
				b.Fatal(w.Code)
			}
		}
	})
}
