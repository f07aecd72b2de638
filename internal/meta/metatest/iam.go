package metatest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

func iamTests() tests {
	return tests{
		{"Users", testIAMUsers},
		{"UserListOrderAndPaging", testIAMUserList},
		{"AccessKeys", testIAMAccessKeys},
		{"UserPolicies", testIAMUserPolicies},
		{"DeleteUserCascades", testIAMDeleteUser},
		{"ReadsInTransaction", testIAMReadsInTx},
	}
}

const (
	iamAccount  = "111111111111"
	iamAccount2 = "222222222222"
)

func (f *fixture) newIAMUser(account, name string) *meta.IAMUser {
	return &meta.IAMUser{Account: account, Name: name, UserID: "AIDA" + f.id("U"),
		ARN: "arn:aws:iam::" + account + ":user/" + name, CreatedTime: f.now()}
}

func (f *fixture) iamUser(account, name string) *meta.IAMUser {
	f.t.Helper()
	u := f.newIAMUser(account, name)
	f.update(func(tx meta.Tx) error { return tx.InsertIAMUser(f.ctx, u) })
	return u
}

func (f *fixture) newIAMKey(u *meta.IAMUser, id string) *meta.IAMAccessKey {
	return &meta.IAMAccessKey{AccessKeyID: id, Account: u.Account, UserName: u.Name,
		SecretCiphertext: []byte("ct-" + id), Status: "Active", CreatedTime: f.now()}
}

func (f *fixture) iamKey(u *meta.IAMUser, id string) *meta.IAMAccessKey {
	f.t.Helper()
	k := f.newIAMKey(u, id)
	f.update(func(tx meta.Tx) error { return tx.InsertIAMAccessKey(f.ctx, k) })
	return k
}

func (f *fixture) iamPolicy(u *meta.IAMUser, name, doc string) *meta.IAMUserPolicy {
	f.t.Helper()
	p := &meta.IAMUserPolicy{Account: u.Account, UserName: u.Name, PolicyName: name, Document: doc}
	f.update(func(tx meta.Tx) error { return tx.PutIAMUserPolicy(f.ctx, p) })
	return p
}

func sameIAMUser(t *testing.T, got, want *meta.IAMUser) {
	t.Helper()
	sameTime(t, "iam user CreatedTime", got.CreatedTime, want.CreatedTime)
	g, w := *got, *want
	g.CreatedTime, w.CreatedTime = time.Time{}, time.Time{}
	sameFields(t, "iam user", g, w)
}

func sameIAMKey(t *testing.T, got, want *meta.IAMAccessKey) {
	t.Helper()
	sameTime(t, "iam access key CreatedTime", got.CreatedTime, want.CreatedTime)
	if !bytes.Equal(got.SecretCiphertext, want.SecretCiphertext) {
		t.Fatalf("iam access key %s: ciphertext %x, want %x", want.AccessKeyID, got.SecretCiphertext, want.SecretCiphertext)
	}
	g, w := *got, *want
	g.CreatedTime, w.CreatedTime = time.Time{}, time.Time{}
	g.SecretCiphertext, w.SecretCiphertext = nil, nil
	sameFields(t, "iam access key", g, w)
}

func testIAMUsers(f *fixture) {
	t := f.t
	_, err := f.s.GetIAMUser(f.ctx, iamAccount, "Alice")
	wantNotFound(t, err, "", "GetIAMUser before insert")

	alice := f.iamUser(iamAccount, "Alice")
	for _, name := range []string{"Alice", "alice", "ALICE", "aLiCe"} {
		got, err := f.s.GetIAMUser(f.ctx, iamAccount, name)
		must(t, err, "GetIAMUser "+name)
		sameIAMUser(t, got, alice) // the stored spelling, whatever the lookup's
	}
	// Another account has no user of that name.
	_, err = f.s.GetIAMUser(f.ctx, iamAccount2, "Alice")
	wantNotFound(t, err, "", "GetIAMUser in another account")

	// A name differing only in case is a duplicate; the original stays.
	for _, name := range []string{"Alice", "alice", "ALICE"} {
		err := f.try(func(tx meta.Tx) error { return tx.InsertIAMUser(f.ctx, f.newIAMUser(iamAccount, name)) })
		wantConflict(t, err, "", "InsertIAMUser duplicate "+name)
	}
	got, err := f.s.GetIAMUser(f.ctx, iamAccount, "alice")
	must(t, err, "GetIAMUser after duplicates")
	sameIAMUser(t, got, alice)

	// A Conflict leaves the transaction usable.
	bob := f.newIAMUser(iamAccount, "bob")
	f.update(func(tx meta.Tx) error {
		err := tx.InsertIAMUser(f.ctx, f.newIAMUser(iamAccount, "ALICE"))
		wantConflict(t, err, "", "InsertIAMUser duplicate in tx")
		return tx.InsertIAMUser(f.ctx, bob)
	})
	got, err = f.s.GetIAMUser(f.ctx, iamAccount, "Bob")
	must(t, err, "GetIAMUser bob")
	sameIAMUser(t, got, bob)

	// The same name in another account is another user.
	alice2 := f.iamUser(iamAccount2, "alice")
	got, err = f.s.GetIAMUser(f.ctx, iamAccount2, "ALICE")
	must(t, err, "GetIAMUser other account")
	sameIAMUser(t, got, alice2)

	// Deleting (ignoring case) removes only that account's user; deleting
	// an absent user is a no-op.
	f.update(func(tx meta.Tx) error { return tx.DeleteIAMUser(f.ctx, iamAccount, "aLICE") })
	_, err = f.s.GetIAMUser(f.ctx, iamAccount, "Alice")
	wantNotFound(t, err, "", "GetIAMUser after delete")
	f.update(func(tx meta.Tx) error { return tx.DeleteIAMUser(f.ctx, iamAccount, "alice") })
	if _, err := f.s.GetIAMUser(f.ctx, iamAccount2, "alice"); err != nil {
		t.Fatalf("another account's user went too: %v", err)
	}
	// The name is free again.
	f.iamUser(iamAccount, "ALICE")
}

func testIAMUserList(f *fixture) {
	t := f.t
	// Byte-wise order: upper case sorts before lower case.
	names := []string{"zed", "Bob", "alice", "Carol", "dave", "Eve", "b.x", "b-x"}
	for _, n := range names {
		f.iamUser(iamAccount, n)
	}
	f.iamUser(iamAccount2, "aaron")
	f.iamUser(iamAccount2, "Bob")
	want := []string{"Bob", "Carol", "Eve", "alice", "b-x", "b.x", "dave", "zed"}
	list := func(account string) lister[meta.IAMUser] {
		return func(opt meta.ListOptions) ([]meta.IAMUser, string, error) {
			return f.s.ListIAMUsers(f.ctx, account, opt)
		}
	}
	name := func(u meta.IAMUser) string { return u.Name }
	checkPaging(t, "ListIAMUsers", list(iamAccount), name, want)
	checkPaging(t, "ListIAMUsers account 2", list(iamAccount2), name, []string{"Bob", "aaron"})
	for _, u := range pageAll(t, 2, list(iamAccount2)) {
		if u.Account != iamAccount2 {
			t.Fatalf("ListIAMUsers account 2 returned %+v", u)
		}
	}
	all := pageAll(t, 1, list(iamAccount))
	for _, u := range all {
		got, err := f.s.GetIAMUser(f.ctx, iamAccount, u.Name)
		must(t, err, "GetIAMUser "+u.Name)
		sameIAMUser(t, &u, got)
	}
	users, next, err := f.s.ListIAMUsers(f.ctx, "333333333333", meta.ListOptions{Limit: 5})
	must(t, err, "ListIAMUsers empty account")
	if len(users) != 0 || next != "" {
		t.Fatalf("ListIAMUsers empty account: %v %q", users, next)
	}
	_, _, err = f.s.ListIAMUsers(f.ctx, iamAccount, meta.ListOptions{Limit: 1, After: "garbage"})
	wantKind(t, err, apierr.Validation, "ListIAMUsers bad cursor")
	_, _, err = f.s.ListIAMUsers(f.ctx, iamAccount, meta.ListOptions{Limit: 0})
	wantKind(t, err, apierr.Validation, "ListIAMUsers limit 0")
}

func testIAMAccessKeys(f *fixture) {
	t := f.t
	_, err := f.s.GetIAMAccessKey(f.ctx, "AKIAMISSING")
	wantNotFound(t, err, "", "GetIAMAccessKey before insert")

	alice := f.iamUser(iamAccount, "Alice")
	bob := f.iamUser(iamAccount, "bob")
	k2 := f.iamKey(alice, "AKIA0002")
	k1 := f.iamKey(alice, "AKIA0001")
	kb := f.iamKey(bob, "AKIA0003")
	// The ciphertext is opaque bytes: zero bytes, high bytes, empty.
	k4 := f.newIAMKey(alice, "AKIA0004")
	k4.SecretCiphertext = []byte{0, 1, 2, 0, 0xff, 0xfe, 0x80, 0}
	k4.Status = "Inactive"
	f.update(func(tx meta.Tx) error { return tx.InsertIAMAccessKey(f.ctx, k4) })
	empty := f.newIAMKey(bob, "AKIA0005")
	empty.SecretCiphertext = []byte{}
	f.update(func(tx meta.Tx) error { return tx.InsertIAMAccessKey(f.ctx, empty) })

	for _, want := range []*meta.IAMAccessKey{k1, k2, k4, kb, empty} {
		got, err := f.s.GetIAMAccessKey(f.ctx, want.AccessKeyID)
		must(t, err, "GetIAMAccessKey "+want.AccessKeyID)
		sameIAMKey(t, got, want)
	}
	// Key ids are case-sensitive.
	_, err = f.s.GetIAMAccessKey(f.ctx, "akia0002")
	wantNotFound(t, err, "", "GetIAMAccessKey other case")

	// Listed by id, per user, finding the user ignoring case.
	idOf := func(k meta.IAMAccessKey) string { return k.AccessKeyID }
	for _, name := range []string{"Alice", "alice"} {
		ks, err := f.s.ListIAMAccessKeys(f.ctx, iamAccount, name)
		must(t, err, "ListIAMAccessKeys")
		sameKeys(t, "ListIAMAccessKeys "+name, keys(ks, idOf), []string{"AKIA0001", "AKIA0002", "AKIA0004"})
		for _, k := range ks {
			if k.UserName != "Alice" || k.Account != iamAccount {
				t.Fatalf("ListIAMAccessKeys %s: %+v", name, k)
			}
		}
	}
	ks, err := f.s.ListIAMAccessKeys(f.ctx, iamAccount, "BOB")
	must(t, err, "ListIAMAccessKeys bob")
	sameKeys(t, "ListIAMAccessKeys bob", keys(ks, idOf), []string{"AKIA0003", "AKIA0005"})
	sameIAMKey(t, &ks[0], kb)
	sameIAMKey(t, &ks[1], empty)
	for _, who := range [][2]string{{iamAccount, "nobody"}, {iamAccount2, "Alice"}} {
		ks, err := f.s.ListIAMAccessKeys(f.ctx, who[0], who[1])
		must(t, err, "ListIAMAccessKeys absent user")
		if len(ks) != 0 {
			t.Fatalf("ListIAMAccessKeys %v: %+v", who, ks)
		}
	}

	// A duplicate id is a Conflict, even under another user; the key stays.
	err = f.try(func(tx meta.Tx) error { return tx.InsertIAMAccessKey(f.ctx, f.newIAMKey(bob, "AKIA0002")) })
	wantConflict(t, err, "", "InsertIAMAccessKey duplicate id")
	got, err := f.s.GetIAMAccessKey(f.ctx, "AKIA0002")
	must(t, err, "GetIAMAccessKey after duplicate")
	sameIAMKey(t, got, k2)

	// A key of a missing user (or of a user of another account) is NotFound,
	// and leaves the transaction usable.
	ghost := f.newIAMUser(iamAccount, "ghost")
	err = f.try(func(tx meta.Tx) error { return tx.InsertIAMAccessKey(f.ctx, f.newIAMKey(ghost, "AKIA0009")) })
	wantNotFound(t, err, "", "InsertIAMAccessKey missing user")
	other := f.newIAMUser(iamAccount2, "Alice")
	err = f.try(func(tx meta.Tx) error { return tx.InsertIAMAccessKey(f.ctx, f.newIAMKey(other, "AKIA0009")) })
	wantNotFound(t, err, "", "InsertIAMAccessKey user of another account")
	k6 := f.newIAMKey(alice, "AKIA0006")
	f.update(func(tx meta.Tx) error {
		err := tx.InsertIAMAccessKey(f.ctx, f.newIAMKey(ghost, "AKIA0009"))
		wantNotFound(t, err, "", "InsertIAMAccessKey missing user in tx")
		err = tx.InsertIAMAccessKey(f.ctx, f.newIAMKey(bob, "AKIA0001"))
		wantConflict(t, err, "", "InsertIAMAccessKey duplicate in tx")
		return tx.InsertIAMAccessKey(f.ctx, k6)
	})
	_, err = f.s.GetIAMAccessKey(f.ctx, "AKIA0009")
	wantNotFound(t, err, "", "GetIAMAccessKey of refused insert")

	// The user is found ignoring case; the key names the stored spelling.
	k7 := f.newIAMKey(alice, "AKIA0007")
	k7.UserName = "ALICE"
	f.update(func(tx meta.Tx) error { return tx.InsertIAMAccessKey(f.ctx, k7) })
	got, err = f.s.GetIAMAccessKey(f.ctx, "AKIA0007")
	must(t, err, "GetIAMAccessKey AKIA0007")
	k7.UserName = "Alice"
	sameIAMKey(t, got, k7)

	// A key's status changes alone; an absent key is NotFound.
	f.update(func(tx meta.Tx) error { return tx.SetIAMAccessKeyStatus(f.ctx, "AKIA0004", "Active") })
	f.update(func(tx meta.Tx) error { return tx.SetIAMAccessKeyStatus(f.ctx, "AKIA0001", "Inactive") })
	got, err = f.s.GetIAMAccessKey(f.ctx, "AKIA0004")
	must(t, err, "GetIAMAccessKey after status change")
	k4.Status = "Active"
	sameIAMKey(t, got, k4)
	got, err = f.s.GetIAMAccessKey(f.ctx, "AKIA0001")
	must(t, err, "GetIAMAccessKey after status change")
	k1.Status = "Inactive"
	sameIAMKey(t, got, k1)
	err = f.try(func(tx meta.Tx) error { return tx.SetIAMAccessKeyStatus(f.ctx, "AKIA0404", "Active") })
	wantNotFound(t, err, "", "SetIAMAccessKeyStatus of an absent key")

	// Delete removes one key; deleting an absent key is a no-op.
	f.update(func(tx meta.Tx) error { return tx.DeleteIAMAccessKey(f.ctx, "AKIA0002") })
	_, err = f.s.GetIAMAccessKey(f.ctx, "AKIA0002")
	wantNotFound(t, err, "", "GetIAMAccessKey after delete")
	f.update(func(tx meta.Tx) error { return tx.DeleteIAMAccessKey(f.ctx, "AKIA0002") })
	f.update(func(tx meta.Tx) error { return tx.DeleteIAMAccessKey(f.ctx, "akia0001") }) // case-sensitive
	ks, err = f.s.ListIAMAccessKeys(f.ctx, iamAccount, "alice")
	must(t, err, "ListIAMAccessKeys after delete")
	sameKeys(t, "ListIAMAccessKeys after delete", keys(ks, idOf), []string{"AKIA0001", "AKIA0004", "AKIA0006", "AKIA0007"})
}

func testIAMUserPolicies(f *fixture) {
	t := f.t
	alice := f.iamUser(iamAccount, "Alice")
	bob := f.iamUser(iamAccount, "bob")
	_, err := f.s.GetIAMUserPolicy(f.ctx, iamAccount, "Alice", "p")
	wantNotFound(t, err, "", "GetIAMUserPolicy before put")

	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codeartifact:*","Resource":"*"}]}`
	pb := f.iamPolicy(alice, "read", doc)
	pa := f.iamPolicy(alice, "Admin", `{"a":1}`)
	pw := f.iamPolicy(alice, "write", `{"w":1}`)
	pBob := f.iamPolicy(bob, "read", `{"bob":1}`)
	for _, c := range []struct {
		user string
		want *meta.IAMUserPolicy
	}{{"Alice", pb}, {"alice", pa}, {"ALICE", pw}, {"Bob", pBob}} {
		got, err := f.s.GetIAMUserPolicy(f.ctx, iamAccount, c.user, c.want.PolicyName)
		must(t, err, "GetIAMUserPolicy")
		sameFields(t, "GetIAMUserPolicy "+c.user, *got, *c.want)
	}
	// Policy names are case-sensitive.
	_, err = f.s.GetIAMUserPolicy(f.ctx, iamAccount, "Alice", "READ")
	wantNotFound(t, err, "", "GetIAMUserPolicy other case")
	_, err = f.s.GetIAMUserPolicy(f.ctx, iamAccount2, "Alice", "read")
	wantNotFound(t, err, "", "GetIAMUserPolicy other account")

	nameOf := func(p meta.IAMUserPolicy) string { return p.PolicyName }
	ps, err := f.s.ListIAMUserPolicies(f.ctx, iamAccount, "alice")
	must(t, err, "ListIAMUserPolicies")
	sameKeys(t, "ListIAMUserPolicies", keys(ps, nameOf), []string{"Admin", "read", "write"})
	sameFields(t, "ListIAMUserPolicies[0]", ps[0], *pa)
	ps, err = f.s.ListIAMUserPolicies(f.ctx, iamAccount, "nobody")
	must(t, err, "ListIAMUserPolicies absent user")
	if len(ps) != 0 {
		t.Fatalf("ListIAMUserPolicies absent user: %+v", ps)
	}

	// A Put replaces (the user found ignoring case), and only that policy.
	f.update(func(tx meta.Tx) error {
		return tx.PutIAMUserPolicy(f.ctx, &meta.IAMUserPolicy{Account: iamAccount, UserName: "ALICE", PolicyName: "read", Document: `{"v":2}`})
	})
	got, err := f.s.GetIAMUserPolicy(f.ctx, iamAccount, "Alice", "read")
	must(t, err, "GetIAMUserPolicy after replace")
	sameFields(t, "after replace", *got, meta.IAMUserPolicy{Account: iamAccount, UserName: "Alice", PolicyName: "read", Document: `{"v":2}`})
	got, err = f.s.GetIAMUserPolicy(f.ctx, iamAccount, "bob", "read")
	must(t, err, "GetIAMUserPolicy bob after replace")
	sameFields(t, "bob after replace", *got, *pBob)

	// A policy of a missing user is NotFound and leaves the tx usable.
	missing := &meta.IAMUserPolicy{Account: iamAccount, UserName: "ghost", PolicyName: "p", Document: "{}"}
	err = f.try(func(tx meta.Tx) error { return tx.PutIAMUserPolicy(f.ctx, missing) })
	wantNotFound(t, err, "", "PutIAMUserPolicy missing user")
	other := &meta.IAMUserPolicy{Account: iamAccount2, UserName: "Alice", PolicyName: "p", Document: "{}"}
	err = f.try(func(tx meta.Tx) error { return tx.PutIAMUserPolicy(f.ctx, other) })
	wantNotFound(t, err, "", "PutIAMUserPolicy user of another account")
	f.update(func(tx meta.Tx) error {
		wantNotFound(t, tx.PutIAMUserPolicy(f.ctx, missing), "", "PutIAMUserPolicy missing user in tx")
		return tx.PutIAMUserPolicy(f.ctx, &meta.IAMUserPolicy{Account: iamAccount, UserName: "bob", PolicyName: "extra", Document: "{}"})
	})

	// Delete removes one policy; absent is a no-op.
	f.update(func(tx meta.Tx) error { return tx.DeleteIAMUserPolicy(f.ctx, iamAccount, "aLiCe", "write") })
	_, err = f.s.GetIAMUserPolicy(f.ctx, iamAccount, "Alice", "write")
	wantNotFound(t, err, "", "GetIAMUserPolicy after delete")
	f.update(func(tx meta.Tx) error { return tx.DeleteIAMUserPolicy(f.ctx, iamAccount, "Alice", "write") })
	f.update(func(tx meta.Tx) error { return tx.DeleteIAMUserPolicy(f.ctx, iamAccount, "Alice", "ADMIN") })
	f.update(func(tx meta.Tx) error { return tx.DeleteIAMUserPolicy(f.ctx, iamAccount, "ghost", "read") })
	ps, err = f.s.ListIAMUserPolicies(f.ctx, iamAccount, "Alice")
	must(t, err, "ListIAMUserPolicies after delete")
	sameKeys(t, "ListIAMUserPolicies after delete", keys(ps, nameOf), []string{"Admin", "read"})
	ps, err = f.s.ListIAMUserPolicies(f.ctx, iamAccount, "bob")
	must(t, err, "ListIAMUserPolicies bob")
	sameKeys(t, "ListIAMUserPolicies bob", keys(ps, nameOf), []string{"extra", "read"})
}

func testIAMDeleteUser(f *fixture) {
	t := f.t
	alice := f.iamUser(iamAccount, "Alice")
	bob := f.iamUser(iamAccount, "bob")
	alice2 := f.iamUser(iamAccount2, "alice") // same name, other account
	for i, u := range []*meta.IAMUser{alice, bob, alice2} {
		for j := range 2 {
			f.iamKey(u, fmt.Sprintf("AKIA%d%d", i, j))
			f.iamPolicy(u, fmt.Sprintf("p%d", j), "{}")
		}
	}
	f.update(func(tx meta.Tx) error { return tx.DeleteIAMUser(f.ctx, iamAccount, "ALICE") })

	_, err := f.s.GetIAMUser(f.ctx, iamAccount, "alice")
	wantNotFound(t, err, "", "GetIAMUser after delete")
	for _, id := range []string{"AKIA00", "AKIA01"} {
		_, err := f.s.GetIAMAccessKey(f.ctx, id)
		wantNotFound(t, err, "", "key of deleted user "+id)
	}
	for _, id := range []string{"AKIA10", "AKIA11", "AKIA20", "AKIA21"} {
		if _, err := f.s.GetIAMAccessKey(f.ctx, id); err != nil {
			t.Fatalf("key %s of another user went too: %v", id, err)
		}
	}
	_, err = f.s.GetIAMUserPolicy(f.ctx, iamAccount, "Alice", "p0")
	wantNotFound(t, err, "", "policy of deleted user")

	// A new user of the same name starts with no keys and no policies.
	f.iamUser(iamAccount, "alice")
	ks, err := f.s.ListIAMAccessKeys(f.ctx, iamAccount, "alice")
	must(t, err, "ListIAMAccessKeys recreated user")
	ps, err := f.s.ListIAMUserPolicies(f.ctx, iamAccount, "alice")
	must(t, err, "ListIAMUserPolicies recreated user")
	if len(ks) != 0 || len(ps) != 0 {
		t.Fatalf("recreated user inherited keys %+v / policies %+v", ks, ps)
	}
	for _, u := range []*meta.IAMUser{bob, alice2} {
		ks, err := f.s.ListIAMAccessKeys(f.ctx, u.Account, u.Name)
		must(t, err, "ListIAMAccessKeys")
		ps, err := f.s.ListIAMUserPolicies(f.ctx, u.Account, u.Name)
		must(t, err, "ListIAMUserPolicies")
		if len(ks) != 2 || len(ps) != 2 {
			t.Fatalf("user %s/%s lost rows: keys %+v policies %+v", u.Account, u.Name, ks, ps)
		}
	}
}

func testIAMReadsInTx(f *fixture) {
	t := f.t
	u := f.newIAMUser(iamAccount, "Carol")
	k := f.newIAMKey(u, "AKIATX01")
	k.SecretCiphertext = []byte{0, 0, 0}
	f.update(func(tx meta.Tx) error {
		must(t, tx.InsertIAMUser(f.ctx, u), "InsertIAMUser")
		got, err := tx.GetIAMUser(f.ctx, iamAccount, "carol")
		must(t, err, "tx.GetIAMUser")
		sameIAMUser(t, got, u)
		us, _, err := tx.ListIAMUsers(f.ctx, iamAccount, meta.ListOptions{Limit: 10})
		must(t, err, "tx.ListIAMUsers")
		if len(us) != 1 || us[0].Name != "Carol" {
			t.Fatalf("tx.ListIAMUsers: %+v", us)
		}
		must(t, tx.InsertIAMAccessKey(f.ctx, k), "InsertIAMAccessKey")
		gk, err := tx.GetIAMAccessKey(f.ctx, k.AccessKeyID)
		must(t, err, "tx.GetIAMAccessKey")
		sameIAMKey(t, gk, k)
		ks, err := tx.ListIAMAccessKeys(f.ctx, iamAccount, "CAROL")
		must(t, err, "tx.ListIAMAccessKeys")
		if len(ks) != 1 {
			t.Fatalf("tx.ListIAMAccessKeys: %+v", ks)
		}
		p := &meta.IAMUserPolicy{Account: iamAccount, UserName: "Carol", PolicyName: "p", Document: "{}"}
		must(t, tx.PutIAMUserPolicy(f.ctx, p), "PutIAMUserPolicy")
		gp, err := tx.GetIAMUserPolicy(f.ctx, iamAccount, "carol", "p")
		must(t, err, "tx.GetIAMUserPolicy")
		sameFields(t, "tx.GetIAMUserPolicy", *gp, *p)
		ps, err := tx.ListIAMUserPolicies(f.ctx, iamAccount, "carol")
		must(t, err, "tx.ListIAMUserPolicies")
		if len(ps) != 1 {
			t.Fatalf("tx.ListIAMUserPolicies: %+v", ps)
		}
		// And its deletes.
		must(t, tx.DeleteIAMUser(f.ctx, iamAccount, "Carol"), "DeleteIAMUser")
		_, err = tx.GetIAMAccessKey(f.ctx, k.AccessKeyID)
		wantNotFound(t, err, "", "tx.GetIAMAccessKey after DeleteIAMUser")
		_, err = tx.GetIAMUserPolicy(f.ctx, iamAccount, "Carol", "p")
		wantNotFound(t, err, "", "tx.GetIAMUserPolicy after DeleteIAMUser")
		return tx.InsertIAMUser(f.ctx, u)
	})
	// A rolled-back transaction leaves nothing behind.
	errRollback := apierr.Invalid("rollback")
	err := f.try(func(tx meta.Tx) error {
		must(t, tx.InsertIAMUser(f.ctx, f.newIAMUser(iamAccount, "dan")), "InsertIAMUser dan")
		must(t, tx.InsertIAMAccessKey(f.ctx, f.newIAMKey(u, "AKIATX02")), "InsertIAMAccessKey")
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	_, err = f.s.GetIAMUser(f.ctx, iamAccount, "dan")
	wantNotFound(t, err, "", "GetIAMUser after rollback")
	_, err = f.s.GetIAMAccessKey(f.ctx, "AKIATX02")
	wantNotFound(t, err, "", "GetIAMAccessKey after rollback")
	got, err := f.s.GetIAMUser(f.ctx, iamAccount, "CAROL")
	must(t, err, "GetIAMUser after commit")
	sameIAMUser(t, got, u)
	ks, err := f.s.ListIAMAccessKeys(f.ctx, iamAccount, "carol")
	must(t, err, "ListIAMAccessKeys after commit")
	if len(ks) != 0 {
		t.Fatalf("keys of the deleted-and-recreated user: %+v", ks)
	}
}
