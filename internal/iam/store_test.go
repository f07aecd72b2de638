package iam

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/sqlite"
)

// testStore is a real SQLite store whose IAM reads can be made to fail, to
// show that the credential chain fails closed.
type testStore struct {
	meta.Store
	fail error
}

func (s *testStore) GetIAMAccessKey(ctx context.Context, id string) (*meta.IAMAccessKey, error) {
	if s.fail != nil {
		return nil, s.fail
	}
	return s.Store.GetIAMAccessKey(ctx, id)
}

func (s *testStore) ListIAMUserPolicies(ctx context.Context, account, user string) ([]meta.IAMUserPolicy, error) {
	if s.fail != nil {
		return nil, s.fail
	}
	return s.Store.ListIAMUserPolicies(ctx, account, user)
}

func (s *testStore) GetIAMUser(ctx context.Context, account, name string) (*meta.IAMUser, error) {
	if s.fail != nil {
		return nil, s.fail
	}
	return s.Store.GetIAMUser(ctx, account, name)
}

func newTestStore(t *testing.T) *testStore {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "arca.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &testStore{Store: st}
}
