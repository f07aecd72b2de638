package metatest

import (
	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

func policyTests() tests {
	return tests{
		{"PutGetReplaceDelete", testPolicies},
	}
}

func testPolicies(f *fixture) {
	t := f.t
	arn := "arn:aws:codeartifact:us-east-1:111111111111:domain/dom"
	_, err := f.s.GetResourcePolicy(f.ctx, arn)
	wantKind(t, err, apierr.NotFound, "GetResourcePolicy before any Put")

	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"codeartifact:*","Resource":"*"}]}`
	f.update(func(tx meta.Tx) error {
		return tx.PutResourcePolicy(f.ctx, &meta.ResourcePolicy{ResourceARN: arn, Revision: "r1", Document: doc})
	})
	got, err := f.s.GetResourcePolicy(f.ctx, arn)
	must(t, err, "GetResourcePolicy")
	if *got != (meta.ResourcePolicy{ResourceARN: arn, Revision: "r1", Document: doc}) {
		t.Fatalf("GetResourcePolicy = %+v", got)
	}
	// Another resource's policy is separate; a Put replaces.
	other := arn + "x"
	f.update(func(tx meta.Tx) error {
		if err := tx.PutResourcePolicy(f.ctx, &meta.ResourcePolicy{ResourceARN: other, Revision: "o1", Document: "{}"}); err != nil {
			return err
		}
		return tx.PutResourcePolicy(f.ctx, &meta.ResourcePolicy{ResourceARN: arn, Revision: "r2", Document: "{\"v\":2}"})
	})
	got, err = f.s.GetResourcePolicy(f.ctx, arn)
	must(t, err, "GetResourcePolicy after replace")
	if got.Revision != "r2" || got.Document != "{\"v\":2}" {
		t.Fatalf("after replace: %+v", got)
	}
	// A transaction reads its own write.
	f.update(func(tx meta.Tx) error {
		if err := tx.PutResourcePolicy(f.ctx, &meta.ResourcePolicy{ResourceARN: arn, Revision: "r3", Document: "{}"}); err != nil {
			return err
		}
		p, err := tx.GetResourcePolicy(f.ctx, arn)
		must(t, err, "tx.GetResourcePolicy")
		if p.Revision != "r3" {
			t.Fatalf("tx.GetResourcePolicy revision %q, want r3", p.Revision)
		}
		return nil
	})
	f.update(func(tx meta.Tx) error { return tx.DeleteResourcePolicy(f.ctx, arn) })
	_, err = f.s.GetResourcePolicy(f.ctx, arn)
	wantKind(t, err, apierr.NotFound, "GetResourcePolicy after Delete")
	f.update(func(tx meta.Tx) error { return tx.DeleteResourcePolicy(f.ctx, arn) }) // absent: no-op
	if _, err := f.s.GetResourcePolicy(f.ctx, other); err != nil {
		t.Fatalf("the other resource's policy went too: %v", err)
	}
}
