package metatest

import (
	"github.com/arca-repo/arca/internal/meta"
)

func tagTests() tests {
	return tests{
		{"PutListDelete", testTags},
	}
}

func testTags(f *fixture) {
	t := f.t
	arn := "arn:aws:codeartifact:us-east-1:111111111111:repository/dom/repo"
	other := "arn:aws:codeartifact:us-east-1:111111111111:domain/dom"
	check := func(what, arn string, want ...meta.Tag) {
		t.Helper()
		got, err := f.s.ListTags(f.ctx, arn)
		must(t, err, what)
		if len(got) != len(want) {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: got %v, want %v", what, got, want)
			}
		}
	}
	check("no tags", arn)

	f.update(func(tx meta.Tx) error {
		return tx.PutTags(f.ctx, arn, []meta.Tag{{Key: "team", Value: "a"}, {Key: "Env", Value: "prod"}, {Key: "cost", Value: ""}})
	})
	f.update(func(tx meta.Tx) error { return tx.PutTags(f.ctx, other, []meta.Tag{{Key: "team", Value: "x"}}) })
	// Ordered by key, byte-wise: upper case first.
	check("after put", arn, meta.Tag{Key: "Env", Value: "prod"}, meta.Tag{Key: "cost", Value: ""}, meta.Tag{Key: "team", Value: "a"})

	f.update(func(tx meta.Tx) error {
		return tx.PutTags(f.ctx, arn, []meta.Tag{{Key: "team", Value: "b"}, {Key: "new", Value: "1"}})
	})
	check("after replace", arn, meta.Tag{Key: "Env", Value: "prod"}, meta.Tag{Key: "cost", Value: ""},
		meta.Tag{Key: "new", Value: "1"}, meta.Tag{Key: "team", Value: "b"})

	f.update(func(tx meta.Tx) error { return tx.DeleteTags(f.ctx, arn, []string{"cost", "absent", "Env"}) })
	check("after delete keys", arn, meta.Tag{Key: "new", Value: "1"}, meta.Tag{Key: "team", Value: "b"})
	check("other ARN untouched", other, meta.Tag{Key: "team", Value: "x"})

	f.update(func(tx meta.Tx) error { return tx.DeleteTags(f.ctx, arn, []string{}) })
	check("empty key list deletes nothing", arn, meta.Tag{Key: "new", Value: "1"}, meta.Tag{Key: "team", Value: "b"})

	f.update(func(tx meta.Tx) error { return tx.DeleteTags(f.ctx, arn, nil) })
	check("after delete all", arn)
	check("other ARN untouched by delete all", other, meta.Tag{Key: "team", Value: "x"})
}
